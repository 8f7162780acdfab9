import { classifyFailure } from './clickhouse-sink-error.ts';
import { sleep } from './notifier.ts';

export interface RetryOptions {
  /** First wait after a transient failure, ms. */
  initialMs: number;
  /** Longest wait between attempts, ms. */
  maxMs: number;
  factor: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({ initialMs: 100, maxMs: 5_000, factor: 2 });

/**
 * Runs `attempt` until it succeeds; transient failures (see classifyFailure) are retried with
 * exponential backoff and ±20 % jitter, without an attempt limit: the log keeps every record, so a
 * long outage only delays the projection. Fatal and rejected failures, and the abort, propagate.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  signal: AbortSignal,
  options: RetryOptions = DEFAULT_RETRY,
  onRetry: (err: unknown, delayMs: number) => void = () => {},
): Promise<T> {
  let delay = options.initialMs;
  for (;;) {
    signal.throwIfAborted(); // the client ignores a signal that is already aborted
    try {
      return await attempt();
    } catch (err) {
      if (signal.aborted || classifyFailure(err) !== 'transient') throw err;
      const wait = Math.round(delay * (0.8 + 0.4 * Math.random()));
      onRetry(err, wait);
      await sleep(wait, signal);
      delay = Math.min(options.maxMs, delay * options.factor);
    }
  }
}
