import { retry } from '../../lib/retry.ts';
import { describeError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { isTransient, KafkaLogError } from './kafka-log-error.ts';

export interface BackoffOptions {
  /** First wait after a transient failure, ms. */
  initialMs: number;
  /** Longest wait between attempts, ms. */
  maxMs: number;
  /** Give up (throwing the last error) once this much time has passed, ms; Infinity waits forever. */
  maxElapsedMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 200, maxMs: 5_000, maxElapsedMs: 300_000 });

/**
 * Runs `attempt` until it succeeds (lib/retry.ts). Transient failures (broker down, leader moving;
 * see isTransient) are retried with exponential backoff and ±20 % jitter, each one logged (a warn record, `event: 'retry'`) with what
 * was being done, so an outage is visible; anything else, an abort, or running out of time throws.
 */
export function withBackoff<T>(
  what: string,
  attempt: () => Promise<T>,
  options: BackoffOptions,
  logger: Logger,
  signal?: AbortSignal,
): Promise<T> {
  return retry(attempt, {
    retriable: isTransient,
    backoff: options,
    ...(signal ? { signal } : {}),
    onRetry: (err, n, wait) => logger.warn({ event: 'retry', attempt: n, waitMs: wait }, `${what}: attempt ${n} failed (${describeError(err)}); retrying in ${wait} ms`),
    onRecovered: (n, ms) => logger.info({ event: 'recovered', attempts: n, elapsedMs: ms }, `${what}: succeeded after ${n} attempts (${ms} ms)`),
    onGiveUp: (err, n, ms) => new KafkaLogError(`${what}: gave up after ${n} attempts in ${ms} ms: ${describeError(err)}`, { retriable: true, cause: err }),
  });
}
