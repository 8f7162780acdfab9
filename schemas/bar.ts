/**
 * Bar v1: an OHLCV bar over the tumbling window [start, end), stamped at its close:
 * tsEvent = end. Used both for bars tickflow builds from trades and for imported candles.
 */
export interface Bar {
  tsEvent: number;
  tsInit: number;
  symbol: string;
  /** Window length label, e.g. "1m", "5m". */
  interval: string;
  start: number;
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Taker-buy (aggressor BUY) volume; null when the source does not say. */
  buyVolume: number | null;
  vwap: number;
  trades: number;
}

export const BAR_SCHEMA = {
  type: 'record',
  name: 'Bar',
  namespace: 'tickflow.v1',
  doc: 'OHLCV over [start, end), stamped at end (tsEvent = end). Epoch milliseconds.',
  fields: [
    { name: 'tsEvent', type: 'long' },
    { name: 'tsInit', type: 'long' },
    { name: 'symbol', type: 'string' },
    { name: 'interval', type: 'string' },
    { name: 'start', type: 'long' },
    { name: 'end', type: 'long' },
    { name: 'open', type: 'double' },
    { name: 'high', type: 'double' },
    { name: 'low', type: 'double' },
    { name: 'close', type: 'double' },
    { name: 'volume', type: 'double' },
    { name: 'buyVolume', type: ['null', 'double'], default: null },
    { name: 'vwap', type: 'double' },
    { name: 'trades', type: 'long' },
  ],
} as const;

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "5m" -> 300000. Throws on a malformed label (programmer error). */
export function intervalMs(label: string): number {
  const m = /^(\d+)([smhd])$/.exec(label);
  if (!m) throw new Error(`bad interval label: ${label}`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}
