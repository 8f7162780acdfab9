/**
 * Errors of the embedded log. `retriable` says whether trying the same call again may succeed
 * (a busy or closed resource) or not (bad arguments, a corrupt file: programmer or data errors).
 */
export class LogError extends Error {
  override readonly name = 'LogError';
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }
}
