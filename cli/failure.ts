import { UsageError } from './output.ts';

/** What the CLI prints and returns for an error that ended a command. */
export interface Failure {
  code: 1 | 2;
  text: string;
}

/** System error codes that name a problem with what the user pointed the command at. */
const USER_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ECONNREFUSED: 'connection refused (is the server running, and is the address right?)',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRINUSE: 'address already in use',
};

/** Model-layer codes that mean a bad or mismatched file (model/errors.ts), not a bug. */
const USER_MODEL_CODES = new Set(['DATASET_INVALID', 'DATASET_TOO_SHORT', 'MANIFEST_INVALID', 'MODEL_ID_MISMATCH', 'UNSUPPORTED_LAYER', 'ONNX_INVALID', 'FEATURE_LIST_INVALID']);

/** Error names whose failures are about the user's setup: bad input files, an unreachable broker, another writer that took over the log (D90). */
const USER_ERROR_NAMES = new Set(['FeatureSetMismatch', 'KafkaWriterFencedError', 'KafkaWriterLockLostError', 'IngestInputError', 'LogResourceError', 'CoarseCandleError', 'KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSBrokerNotFound']);

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && out.length < 8; ) {
    out.push(e);
    const next = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
    if (next === e) break;
    e = next;
  }
  return out;
}

/** The user-facing reason of an error: its message on one line. */
function oneLine(message: string): string {
  return message.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ').trim();
}

/**
 * Sorts an error into a user's mistake (exit 2, one line, no stack) or a failure of the program
 * (exit 1, with its stack). A user's mistake: a usage error, a missing or unreadable file, a
 * refused connection, a model or dataset file that is invalid or for another feature set.
 * `debug` adds the stack to either.
 */
export function describeFailure(err: unknown, debug: boolean): Failure {
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  const withStack = (line: string): string => (debug ? `${line}\n${stack}` : line);
  const links = chain(err);
  const userish = links.find((e) => {
    if (e instanceof UsageError) return true;
    if (!(e instanceof Error)) return false;
    const code = (e as { code?: unknown }).code;
    if (e.name === 'ModelError') return typeof code === 'string' && USER_MODEL_CODES.has(code);
    if (typeof code === 'string' && code in USER_ERRNO) return true;
    return USER_ERROR_NAMES.has(e.name);
  });
  if (userish !== undefined) {
    const top = err instanceof Error ? err.message : String(err);
    const e = userish as Error & { code?: string; path?: string; address?: string; port?: number };
    let line = oneLine(top);
    if (e.code !== undefined && e.code in USER_ERRNO && !(e instanceof UsageError)) {
      const where = e.path ?? (e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : undefined);
      const reason = `${where !== undefined ? `${where}: ` : ''}${USER_ERRNO[e.code] as string}`;
      line = userish === err ? reason : `${oneLine(top)} (${reason})`;
    }
    return { code: 2, text: withStack(`tickflow: ${line}`) };
  }
  return { code: 1, text: `tickflow: ${stack}` };
}
