import { sleep } from '../../lib/sleep.ts';
import { describeError, isTransient, KafkaLogError } from './kafka-log-error.ts';

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
 * Runs `attempt` until it succeeds. Transient failures (broker down, leader moving; see
 * isTransient) are retried with exponential backoff and ±20 % jitter, each one logged with what
 * was being done, so an outage is visible; anything else, an abort, or running out of time throws.
 */
export async function withBackoff<T>(
  what: string,
  attempt: () => Promise<T>,
  options: BackoffOptions,
  log: (message: string) => void,
  signal?: AbortSignal,
): Promise<T> {
  const start = Date.now();
  let delay = options.initialMs;
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    try {
      const result = await attempt();
      if (n > 1) log(`${what}: succeeded after ${n} attempts (${Date.now() - start} ms)`);
      return result;
    } catch (err) {
      if (signal?.aborted || !isTransient(err)) throw err;
      const elapsed = Date.now() - start;
      if (elapsed + delay > options.maxElapsedMs) {
        throw new KafkaLogError(`${what}: gave up after ${n} attempts in ${elapsed} ms: ${describeError(err)}`, { retriable: true, cause: err });
      }
      const wait = Math.round(delay * (0.8 + 0.4 * Math.random()));
      log(`${what}: attempt ${n} failed (${describeError(err)}); retrying in ${wait} ms`);
      await sleep(wait, signal);
      delay = Math.min(options.maxMs, delay * 2);
    }
  }
}

/** The promise's value, or undefined as soon as the signal aborts (a late rejection is then ignored). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => undefined);
      resolve(undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), signal.aborted ? resolve(undefined) : reject(e as Error)),
    );
  });
}
