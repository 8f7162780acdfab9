/**
 * Synthetic bars of one symbol on 1m, 5m, 15m and 1h, the larger ones aggregated from the 1m bars,
 * emitted in the graph's feed order: by end, then interval (smaller first).
 */
import type { Bar } from '../../../schemas/bar.ts';
import { intervalMs } from '../../../schemas/bar.ts';
import { Rng } from '../../../processors/math/rng.ts';

export const INTERVALS = ['1m', '5m', '15m', '1h'] as const;
export const START = Date.UTC(2024, 0, 1); // a Monday 00:00 UTC, aligned to every interval

function aggregate(ones: Bar[], interval: string): Bar[] {
  const len = intervalMs(interval);
  const out: Bar[] = [];
  for (let i = 0; i + len / 60_000 <= ones.length; i += len / 60_000) {
    const part = ones.slice(i, i + len / 60_000);
    const first = part[0] as Bar;
    const last = part[part.length - 1] as Bar;
    const volume = part.reduce((s, b) => s + b.volume, 0);
    out.push({
      ...first, interval, start: first.start, end: last.end, tsEvent: last.end, tsInit: last.end,
      high: Math.max(...part.map((b) => b.high)), low: Math.min(...part.map((b) => b.low)), close: last.close,
      volume, buyVolume: part.reduce((s, b) => s + (b.buyVolume as number), 0),
      vwap: part.reduce((s, b) => s + b.vwap * b.volume, 0) / volume,
      trades: part.reduce((s, b) => s + b.trades, 0),
    });
  }
  return out;
}

/** `minutes` 1m bars (a multiple of 60) and their aggregates, in feed order. */
export function multiBars(minutes: number, seed = 1, symbol = 'X'): Bar[] {
  const rng = new Rng(seed);
  const ones: Bar[] = [];
  let price = 100;
  for (let i = 0; i < minutes; i++) {
    const open = price;
    price *= Math.exp(0.002 * rng.normal());
    const high = Math.max(open, price) * (1 + 0.001 * rng.next());
    const low = Math.min(open, price) * (1 - 0.001 * rng.next());
    const volume = 10 + 20 * rng.next();
    const end = START + (i + 1) * 60_000;
    ones.push({
      tsEvent: end, tsInit: end, symbol, interval: '1m', start: end - 60_000, end,
      open, high, low, close: price, volume, buyVolume: volume * rng.next(), vwap: (open + price) / 2, trades: 5,
    });
  }
  const all = [ones, ...INTERVALS.slice(1).map((iv) => aggregate(ones, iv))].flat();
  const rank = (b: Bar): number => INTERVALS.indexOf(b.interval as (typeof INTERVALS)[number]);
  return all.sort((a, b) => a.end - b.end || rank(a) - rank(b));
}

/** A copy of the bar with its prices scaled (for "a different future" in look-ahead tests). */
export function perturb(b: Bar, k: number): Bar {
  return { ...b, open: b.open * k, high: b.high * k, low: b.low * k, close: b.close * k, vwap: b.vwap * k, volume: b.volume * (2 - k) };
}
