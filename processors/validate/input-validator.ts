import type { Bar, OptionChainSnapshot, Trade } from '../../schemas/index.ts';

/**
 * Why an input is unusable, or null when it is fine. Bad input is data: it is dead-lettered with
 * this reason and counted, never thrown.
 */
export function tradeProblem(t: Trade): string | null {
  if (!t.symbol) return 'trade: empty symbol';
  if (!Number.isFinite(t.price) || t.price <= 0) return `trade: non-positive or non-finite price ${t.price}`;
  if (!Number.isFinite(t.size) || t.size <= 0) return `trade: non-positive or non-finite size ${t.size}`;
  if (!Number.isFinite(t.tsEvent) || !Number.isFinite(t.tsInit)) return 'trade: non-finite timestamp';
  return null;
}

export function chainProblem(c: OptionChainSnapshot): string | null {
  if (!c.underlying) return 'chain: empty underlying';
  if (!Number.isFinite(c.spot) || c.spot <= 0) return `chain: spot <= 0 or non-finite (${c.spot})`;
  if (c.contracts.length === 0) return 'chain: no contracts';
  for (const k of c.contracts) {
    if (!Number.isFinite(k.strike) || k.strike <= 0) return `chain: bad strike ${k.strike}`;
    if (!Number.isFinite(k.openInterest) || k.openInterest < 0) return `chain: bad open interest ${k.openInterest}`;
    if (!Number.isFinite(k.volume) || k.volume < 0) return `chain: bad volume ${k.volume}`;
  }
  return null;
}

export function candleProblem(b: Bar): string | null {
  if (!b.symbol) return 'candle: empty symbol';
  for (const [k, v] of [['open', b.open], ['high', b.high], ['low', b.low], ['close', b.close]] as const) {
    if (!Number.isFinite(v) || v <= 0) return `candle: non-positive or non-finite ${k} ${v}`;
  }
  if (b.high < b.low) return `candle: high ${b.high} below low ${b.low}`;
  if (!Number.isFinite(b.volume) || b.volume < 0) return `candle: bad volume ${b.volume}`;
  if (!(b.end > b.start)) return `candle: end ${b.end} not after start ${b.start}`;
  return null;
}
