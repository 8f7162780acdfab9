import { sleep } from './sleep.ts';

/** Exponential backoff with jitter; every default visible here. */
export interface BackoffOptions {
  /** First wait after a retriable failure, ms. */
  initialMs: number;
  /** Longest wait between attempts, ms. */
  maxMs: number;
  /** Growth of the wait per attempt. Default 2. */
  factor?: number;
  /** Give up once this much time has passed, ms. Default Infinity (retry for ever). */
  maxElapsedMs?: number;
  /** Each wait is multiplied by a uniform factor in [1 - jitter, 1 + jitter]. Default 0.2. */
  jitter?: number;
}

export interface RetryOptions {
  /** Whether a failure may go away if the same call is tried again. */
  retriable: (err: unknown) => boolean;
  backoff: BackoffOptions;
  signal?: AbortSignal;
  /** Told before each wait: the failure, the attempt that failed (1-based) and the wait in ms. */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  /** Told when an attempt after a failure succeeds. */
  onRecovered?: (attempts: number, elapsedMs: number) => void;
  /** The error to throw when maxElapsedMs runs out (default: the last failure itself). */
  onGiveUp?: (err: unknown, attempts: number, elapsedMs: number) => unknown;
  /** Random source for the jitter (tests pass a fixed one). Default Math.random. */
  random?: () => number;
}

/**
 * The one retry loop of tickflow: runs `attempt` until it succeeds. Retriable failures are retried
 * after an exponentially growing, jittered wait; a failure that is not retriable, an abort (the
 * signal's reason is thrown) or running out of `maxElapsedMs` ends the loop with an error.
 */
export async function retry<T>(attempt: () => Promise<T>, o: RetryOptions): Promise<T> {
  const { initialMs, maxMs, factor = 2, maxElapsedMs = Infinity, jitter = 0.2 } = o.backoff;
  const random = o.random ?? Math.random;
  const start = Date.now();
  let delay = initialMs;
  for (let n = 1; ; n++) {
    o.signal?.throwIfAborted();
    try {
      const result = await attempt();
      if (n > 1) o.onRecovered?.(n, Date.now() - start);
      return result;
    } catch (err) {
      if (o.signal?.aborted || !o.retriable(err)) throw err;
      const elapsed = Date.now() - start;
      if (elapsed + delay > maxElapsedMs) throw o.onGiveUp ? o.onGiveUp(err, n, elapsed) : err;
      const wait = Math.round(delay * (1 - jitter + 2 * jitter * random()));
      o.onRetry?.(err, n, wait);
      await sleep(wait, o.signal);
      delay = Math.min(maxMs, delay * factor);
    }
  }
}
