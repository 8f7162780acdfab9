import { intervalMs } from '../schemas/bar.ts';

/**
 * Bar intervals that can get features and signals (`--interval`), finest first. Each is a whole
 * multiple of the one before, so the bar aggregator can build them all from the finest input.
 */
export const SIGNAL_INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type SignalInterval = (typeof SIGNAL_INTERVALS)[number];
export const DEFAULT_SIGNAL_INTERVAL: SignalInterval = '5m';

export function isSignalInterval(x: string): x is SignalInterval {
  return (SIGNAL_INTERVALS as readonly string[]).includes(x);
}

/** The label of an interval length in ms among SIGNAL_INTERVALS, or null. */
export function signalIntervalOfMs(ms: number): SignalInterval | null {
  return SIGNAL_INTERVALS.find((i) => intervalMs(i) === ms) ?? null;
}

/**
 * The multi-timeframe intervals of a signal interval: one step finer and one and two steps
 * coarser on SIGNAL_INTERVALS, where they exist (5m: 1m, 15m, 1h, full-v1's original set;
 * 1m: 5m, 15m; 1d: 4h). Relative, so multi-timeframe features mean the same at any interval.
 */
export function mtfIntervals(signal: SignalInterval): SignalInterval[] {
  const k = SIGNAL_INTERVALS.indexOf(signal);
  return [k - 1, k + 1, k + 2].filter((i) => i >= 0 && i < SIGNAL_INTERVALS.length).map((i) => SIGNAL_INTERVALS[i] as SignalInterval);
}

/** Intervals sorted finest first (what BarAggregatorConfig.intervals wants). */
export function finestFirst(intervals: readonly string[]): string[] {
  return [...intervals].sort((a, b) => intervalMs(a) - intervalMs(b));
}
