import { TickflowError } from '../lib/errors.ts';
import { redactCredentials } from '../lib/redact.ts';
import type { Signal } from '../schemas/index.ts';

/**
 * The CLI contract: human progress on stderr, exactly one JSON object on stdout. Numbers are
 * printed with JSON.stringify so they round-trip.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A line for people on stderr; credentials in URLs are redacted (lib/redact.ts). */
export function info(message: string): void {
  process.stderr.write(`${redactCredentials(message)}\n`);
}

/** One signal as a line for people watching a live run. */
export function formatSignal(s: Signal): string {
  return `${new Date(s.barEnd).toISOString()} ${s.symbol.padEnd(5)} ${s.action.padEnd(4)} conf ${s.confidence.toFixed(3)}  P(up/flat/down) ${s.pUp.toFixed(3)}/${s.pFlat.toFixed(3)}/${s.pDown.toFixed(3)}`;
}

/** A user error: printed without a stack trace, exit code 2. */
export class UsageError extends TickflowError {}
