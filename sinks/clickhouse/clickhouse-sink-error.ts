import { TickflowError } from '../../lib/errors.ts';
/**
 * The ClickHouse layer's error family (kafkajs style: `retriable` and `cause`) and the
 * classification of what the client throws.
 *
 * - transient: no answer (connection refused or reset, timeout) or a server code that says
 *   "later" (too many parts, memory, overload). Retried with backoff, forever: the log keeps the
 *   records, so waiting loses nothing.
 * - fatal: the setup is wrong (unknown table or column, syntax, authentication). Never retried.
 * - rejected: any other server exception on an insert is about the rows themselves; the batch is
 *   split down to single rows and the rows the server still rejects are dead-lettered.
 */
export type FailureKind = 'transient' | 'fatal' | 'rejected';

export class ClickHouseSinkError extends TickflowError {
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options);
  }
}

// Codes from ClickHouse's src/Common/ErrorCodes.cpp.
const TRANSIENT_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);
const FATAL_CODES = new Set([
  16, // NO_SUCH_COLUMN_IN_TABLE
  46, // UNKNOWN_FUNCTION
  47, // UNKNOWN_IDENTIFIER
  60, // UNKNOWN_TABLE
  62, // SYNTAX_ERROR
  81, // UNKNOWN_DATABASE
  164, // READONLY
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  194, // REQUIRED_PASSWORD
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
]);

/**
 * The server's error code, or null when the server did not answer with an exception. The client
 * parses only the current "Code: N. DB::Exception" text; 18.16 says "Code: N, e.displayText() =".
 */
export function serverErrorCode(err: unknown): number | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const m = /^Code: (\d+)[.,]/.exec(err.message);
  return m ? Number(m[1]) : null;
}

export function classifyFailure(err: unknown): FailureKind {
  // This family and others built the same way (the log's errors, kafkajs) say it themselves.
  const retriable = (err as { retriable?: unknown } | null)?.retriable;
  if (typeof retriable === 'boolean') return retriable ? 'transient' : 'fatal';
  const code = serverErrorCode(err);
  if (code === null) return 'transient';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (FATAL_CODES.has(code)) return 'fatal';
  return 'rejected';
}

/** The first line of an error's message, for dead-letter reasons and logs. */
export function errorSummary(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]?.trim() ?? text;
}
