/**
 * The CLI contract: human progress on stderr, exactly one JSON object on stdout. Numbers are
 * printed with JSON.stringify so they round-trip.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A user error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
