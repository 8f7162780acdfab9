import { classifyFailure } from './clickhouse-sink-error.ts';
import { retry } from '../../lib/retry.ts';

export interface RetryOptions {
  /** First wait after a transient failure, ms. */
  initialMs: number;
  /** Longest wait between attempts, ms. */
  maxMs: number;
  factor: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({ initialMs: 100, maxMs: 5_000, factor: 2 });

/**
 * Runs `attempt` until it succeeds (lib/retry.ts); transient failures (see classifyFailure) are
 * retried with exponential backoff and ±20 % jitter, without an attempt limit: the log keeps every
 * record, so a long outage only delays the projection. Fatal and rejected failures, and the abort,
 * propagate.
 */
export function withRetry<T>(
  attempt: () => Promise<T>,
  signal: AbortSignal,
  options: RetryOptions = DEFAULT_RETRY,
  onRetry: (err: unknown, delayMs: number) => void = () => {},
): Promise<T> {
  return retry(attempt, {
    retriable: (err) => classifyFailure(err) === 'transient',
    backoff: options,
    signal,
    onRetry: (err, _n, wait) => onRetry(err, wait),
  });
}
