import { resolve } from 'node:path';
import { statfsSync } from 'node:fs';
import { LogError } from './log-error.ts';

/**
 * A fault of the machine under the log, not of tickflow: the disk is full or failing, the
 * directory is not writable. Its message names the directory, what failed and what was kept; the
 * CLI prints it as one line (exit 2), without a stack.
 */
export class LogResourceError extends LogError {}

/** errno numbers lmdb reports as `code` (Linux), and the names Node uses. */
const ERRNO: Record<string, string> = { 5: 'EIO', 28: 'ENOSPC', 13: 'EACCES', 1: 'EPERM', 30: 'EROFS', '-30792': 'MDB_MAP_FULL' };
const BY_TEXT: [RegExp, string][] = [
  [/MDB_MAP_FULL/, 'MDB_MAP_FULL'],
  [/No space left/i, 'ENOSPC'],
  [/Input\/output error/i, 'EIO'],
  [/Permission denied/i, 'EACCES'],
  [/Read-only file system/i, 'EROFS'],
  [/Operation not permitted/i, 'EPERM'],
];

/** Free bytes for an unprivileged writer on the file system holding `dir`, or null when unknown. */
function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** The fault's errno name when `e` (or the commit error lmdb-js hangs on it) is a resource fault. */
export async function resourceCode(e: unknown): Promise<{ code: string; cause: unknown } | null> {
  let cause = e;
  // lmdb-js rejects a failed commit with "Commit failed" and the real error in a rejected promise.
  const commit = (e as { commitError?: unknown } | null)?.commitError;
  if (commit instanceof Promise) {
    try {
      await commit;
    } catch (inner) {
      cause = inner;
    }
  }
  for (const x of [cause, e]) {
    const c = (x as { code?: unknown } | null)?.code;
    if (typeof c === 'string' && Object.values(ERRNO).includes(c)) return { code: c, cause: x };
    if (typeof c === 'number' && ERRNO[String(c)] !== undefined) return { code: ERRNO[String(c)]!, cause: x };
    const text = x instanceof Error ? x.message : '';
    for (const [re, code] of BY_TEXT) if (re.test(text)) return { code, cause: x };
  }
  return null;
}

/** What the fault is, in words, for `dir`. EIO with (almost) no free space is a full disk. */
export function faultWords(code: string, dir: string): string {
  const free = freeBytes(dir);
  if (code === 'ENOSPC' || code === 'MDB_MAP_FULL' || (code === 'EIO' && free !== null && free < 1 << 20)) {
    return `the disk is full (${code}${free !== null ? `, ${free} bytes free` : ''})`;
  }
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code}): the directory or its files are not writable by this user`;
  if (code === 'EROFS') return 'the file system is read-only (EROFS)';
  return `the disk failed to write (${code})`;
}

/**
 * Runs a write to the log at `dir`; a resource fault becomes a LogResourceError saying what failed
 * (`doing`) and what was kept (`kept()`, asked after the failure). Other errors pass unchanged.
 */
export async function guardWrite<T>(dir: string, doing: string, write: () => Promise<T>, kept: () => Promise<string>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    const fault = await resourceCode(e);
    if (fault === null) throw e;
    quietSiblings(e);
    faultedDirs.add(resolve(dir));
    let what: string;
    try {
      what = await kept();
    } catch {
      what = 'everything committed before it';
    }
    throw new LogResourceError(`${dir}: ${faultWords(fault.code, dir)} while ${doing}; nothing of that write was kept; the log keeps ${what}, intact, and a re-run continues from there`, { cause: fault.cause });
  }
}

/**
 * Log directories whose environment had a write fail for lack of space: lmdb-js's close() of such
 * an environment waits for the failed batch and never settles, which would leave a command's
 * `finally` hanging until Node exits 0 with nothing printed (lmdb-env.ts skips the close).
 */
export const faultedDirs = new Set<string>();

const quieted = new Set<unknown>();

/**
 * lmdb-js rejects every write of a failed batch with its own "Commit failed" error sharing one
 * `commitError` promise; the ones no caller awaits (internal writes of the same batch) would end
 * the process as unhandled rejections after the fault was already reported. Those, and only
 * those (same commitError), are ignored.
 */
function quietSiblings(e: unknown): void {
  const commit = (e as { commitError?: unknown } | null)?.commitError;
  if (!(commit instanceof Promise) || quieted.has(commit)) return;
  if (quieted.size === 0) {
    process.on('unhandledRejection', (reason) => {
      const c = (reason as { commitError?: unknown } | null)?.commitError;
      if (c !== undefined && quieted.has(c)) return;
      // Not ours: as Node does without a listener, it ends the process as an uncaught exception.
      throw reason;
    });
  }
  quieted.add(commit);
}
