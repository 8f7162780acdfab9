import type { Bar, Signal } from '../../../schemas/index.ts';

/** A 5-minute boundary (1_700_000_100_000 / 300_000 = 5_666_667). */
export const T0 = 1_700_000_100_000;
export const STEP = 300_000;

/** Bar i of a symbol: [T0 + i*5m, T0 + (i+1)*5m), stamped at its close. */
export function bar(symbol: string, i: number, open: number, close: number): Bar {
  const start = T0 + i * STEP;
  const end = start + STEP;
  return {
    tsEvent: end,
    tsInit: end,
    symbol,
    interval: '5m',
    start,
    end,
    open,
    high: Math.max(open, close),
    low: Math.min(open, close),
    close,
    volume: 1,
    buyVolume: null,
    vwap: (open + close) / 2,
    trades: 1,
  };
}

/** Bars 0..n-1 from [open, close] pairs. */
export function series(symbol: string, ohlc: readonly (readonly [number, number])[]): Bar[] {
  return ohlc.map(([o, c], i) => bar(symbol, i, o, c));
}

export function signal(symbol: string, barEnd: number, action: Signal['action'], id = `${symbol}-${barEnd}`): Signal {
  return {
    id,
    tsEvent: barEnd,
    tsInit: barEnd,
    symbol,
    interval: '5m',
    barEnd,
    pUp: 1 / 3,
    pFlat: 1 / 3,
    pDown: 1 / 3,
    action,
    confidence: 0.5,
    modelId: 'test',
    featureSetHash: 'f',
    inputs: [],
  };
}

/** End time of bar i. */
export function endOf(i: number): number {
  return T0 + (i + 1) * STEP;
}

export const NO_COSTS = { feeBps: 0, slippageBps: 0 } as const;
