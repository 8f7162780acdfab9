/**
 * The one way tests wait for something (after kafkajs's testHelpers `waitFor`): poll a condition
 * until it holds, failing with what was awaited (and, if `what` is a function, the state at the
 * deadline) once `timeoutMs` has passed. Never a fixed sleep where a condition can be awaited.
 */
export interface WaitOptions {
  /** Fail after this long, ms. Default 10 s. */
  timeoutMs?: number;
  /** Poll interval, ms. Default 5. */
  intervalMs?: number;
}

export async function waitFor(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 5 }: WaitOptions = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
