import type { Bar } from '../../schemas/index.ts';
import type { Parsed } from './parsed.ts';
import { reject } from './parsed.ts';
import { implausiblePrice, implausibleSize } from './plausibility.ts';

/** One parsed candle before validation, times in epoch ms, covering [start, end). */
export interface CandleInput {
  symbol: string;
  start: number;
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Taker-buy volume, null when the file does not carry it. */
  buyVolume: number | null;
  /** Quote-asset volume (sum of price x size), null when absent. */
  quoteVolume: number | null;
  trades: number;
}

/** "1m" for 60000 etc.: the largest of d/h/m/s that divides the interval. */
export function intervalLabel(ms: number): string | null {
  if (!Number.isInteger(ms) || ms <= 0) return null;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return null;
}

/**
 * Checks a candle and turns it into a Bar stamped at its close (tsEvent = tsInit = end: a candle
 * becomes known when its window closes). vwap = quote volume / volume when the file has quote
 * volume and volume > 0, else the typical price (h + l + c) / 3.
 */
export function candleToBar(c: CandleInput): Parsed<Bar> {
  const prices = [c.open, c.high, c.low, c.close];
  if (![...prices, c.volume].every(Number.isFinite)) return reject('non-finite');
  if (c.buyVolume !== null && !Number.isFinite(c.buyVolume)) return reject('non-finite');
  if (prices.some((p) => p <= 0)) return reject('non-positive-price');
  if (prices.some(implausiblePrice)) return reject('implausible-price');
  if (implausibleSize(c.volume)) return reject('implausible-size');
  if (c.high < c.low) return reject('high-below-low');
  if (c.open > c.high || c.open < c.low || c.close > c.high || c.close < c.low) return reject('open-close-outside-range');
  if (c.volume < 0 || (c.buyVolume !== null && (c.buyVolume < 0 || c.buyVolume > c.volume * (1 + 1e-9)))) return reject('bad-volume');
  const interval = intervalLabel(c.end - c.start);
  if (interval === null) return reject('bad-interval');
  const qv = c.quoteVolume;
  const vwap = qv !== null && Number.isFinite(qv) && c.volume > 0 ? qv / c.volume : (c.high + c.low + c.close) / 3;
  return {
    ok: true,
    value: {
      tsEvent: c.end, tsInit: c.end, symbol: c.symbol, interval, start: c.start, end: c.end,
      open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume,
      buyVolume: c.buyVolume, vwap, trades: Number.isFinite(c.trades) && c.trades >= 0 ? Math.round(c.trades) : 0,
    },
  };
}
