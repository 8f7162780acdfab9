/** `--source`: which market `tickflow start` runs on (no venue library loaded here: the CLI parses flags with it). */
import { TickflowError } from '../../lib/errors.ts';

export type SourceSpec = { venue: 'synthetic' } | { venue: 'binance'; symbols: string[] };

/** `binance:BTCUSDT,ETHUSDT` → { venue, symbols }; null for the synthetic market. Throws a usage message. */
export function parseSource(text: string): SourceSpec {
  if (text === 'synthetic') return { venue: 'synthetic' };
  const m = /^([a-z]+):(.+)$/.exec(text);
  if (m === null) throw new TickflowError(`--source ${text}: expected synthetic or <venue>:<SYMBOL>[,<SYMBOL>...] (e.g. binance:BTCUSDT,ETHUSDT)`);
  const venue = m[1]!;
  if (venue !== 'binance') throw new TickflowError(`--source ${text}: unknown venue ${venue} (known: synthetic, binance)`);
  const symbols = m[2]!.split(',');
  for (const s of symbols) if (!/^[A-Z0-9]{2,20}$/.test(s)) throw new TickflowError(`--source ${text}: bad symbol '${s}' (venue spelling in capitals, e.g. BTCUSDT)`);
  if (new Set(symbols).size !== symbols.length) throw new TickflowError(`--source ${text}: a symbol is listed twice`);
  return { venue: 'binance', symbols };
}
