/** `--source`: which market `tickflow start` runs on (no venue library loaded here: the CLI parses flags with it). */
import { TickflowError } from '../../lib/errors.ts';

export type SourceSpec = { venue: 'synthetic' } | { venue: 'binance' | 'nse'; symbols: string[] };

/** The index underlyings NSE's option-chain-indices endpoint serves. */
export const NSE_INDICES = ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'NIFTYNXT50'] as const;

/** `binance:BTCUSDT,ETHUSDT` / `nse:NIFTY,BANKNIFTY` → { venue, symbols }. Throws a usage message. */
export function parseSource(text: string): SourceSpec {
  if (text === 'synthetic') return { venue: 'synthetic' };
  const m = /^([a-z]+):(.+)$/.exec(text);
  if (m === null) throw new TickflowError(`--source ${text}: expected synthetic or <venue>:<SYMBOL>[,<SYMBOL>...] (e.g. binance:BTCUSDT,ETHUSDT or nse:NIFTY,BANKNIFTY)`);
  const venue = m[1]!;
  if (venue !== 'binance' && venue !== 'nse') throw new TickflowError(`--source ${text}: unknown venue ${venue} (known: synthetic, binance, nse)`);
  const symbols = m[2]!.split(',');
  for (const s of symbols) {
    if (!/^[A-Z0-9]{2,20}$/.test(s)) throw new TickflowError(`--source ${text}: bad symbol '${s}' (venue spelling in capitals, e.g. ${venue === 'nse' ? 'NIFTY' : 'BTCUSDT'})`);
    if (venue === 'nse' && !(NSE_INDICES as readonly string[]).includes(s)) throw new TickflowError(`--source ${text}: '${s}' is not an index with an NSE option chain (known: ${NSE_INDICES.join(', ')})`);
  }
  if (new Set(symbols).size !== symbols.length) throw new TickflowError(`--source ${text}: a symbol is listed twice`);
  return { venue, symbols };
}
