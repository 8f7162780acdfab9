/**
 * The one error base of tickflow (after kafkajs's `KafkaJSError`): every layer's error family
 * extends it, so callers can ask any failure two questions the same way: may the same call
 * succeed if tried again (`retriable`), and what caused it (`cause`, the standard ES2022 field).
 * Programmer errors are plain `Error`s and are never retried.
 */
export interface TickflowErrorOptions {
  /** True where trying the same call again may succeed (a broker down, a busy resource). */
  retriable?: boolean;
  cause?: unknown;
}

export class TickflowError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: TickflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** One line naming a failure and its causes: "KafkaJSConnectionError: … (caused by Error: …)". */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const own = `${err.name}: ${err.message}`;
  return cause instanceof Error && !err.message.includes(cause.message) ? `${own} (caused by ${describeError(cause)})` : own;
}
