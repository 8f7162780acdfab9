import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { LogError } from './log-error.ts';
import { LogResourceError, faultedDirs, faultWords } from './resource-fault.ts';

/**
 * Most named sub-databases an embedded log directory can hold: one per topic-partition plus a few
 * for metadata, the time index and the schema registry.
 */
export const MAX_DBS = 1024;

export interface SharedEnv {
  readonly env: RootDatabase;
  readonly path: string;
  /** Opened with lmdb's readOnly: no write methods, nothing created. */
  readonly readOnly: boolean;
  /** Drops this holder's reference; the environment closes with the last one. */
  release(): Promise<void>;
}

const shared = new Map<string, { env: RootDatabase; refs: number; readOnly: boolean }>();

/**
 * Opens the lmdb environment of a log directory, shared by every holder in this process (event
 * log handles, the schema registry). One lmdb-js root per path matters: two roots on one path
 * have separate write queues, and a synchronous transaction (lmdb-js opens sub-databases with
 * one) on one root can wait forever for the write lock held by the other root's writer thread,
 * which is itself waiting for the main thread. Through one root lmdb-js coordinates them.
 *
 * Durability: lmdb-js defaults to `overlappingSync` on Linux, where a transaction promise resolves
 * when the commit is visible and the fsync follows; writers that promise durability await
 * `env.flushed` after the commit (see LmdbEventLog.append).
 */
export function acquireLmdbEnv(dir: string, readOnly = false): SharedEnv {
  const path = resolve(dir);
  let entry = shared.get(path);
  // A read-only holder may share a writable environment; a writer never shares a read-only one.
  if (entry?.readOnly === true && !readOnly) throw new LogError(`${dir}: already open read-only in this process`);
  if (!entry) {
    if (readOnly && !existsSync(join(path, 'data.mdb'))) throw new LogError(`${dir}: is not an event log (no data.mdb in it)`);
    try {
      if (!readOnly) mkdirSync(path, { recursive: true });
      // noSubdir false: the directory holds data.mdb and lock.mdb even if its name contains a dot.
      entry = { env: open({ path, maxDbs: MAX_DBS, noSubdir: false, ...(readOnly ? { readOnly: true } : {}) }), refs: 0, readOnly };
    } catch (e) {
      throw openFault(dir, readOnly, e);
    }
    shared.set(path, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    env: held.env,
    path,
    readOnly,
    async release() {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      shared.delete(path);
      // After a failed write (disk full) lmdb-js's close never settles: leave the environment to
      // the process's exit, which follows the error being reported.
      if (faultedDirs.has(path)) return;
      await held.env.close();
    },
  };
}

/**
 * Why lmdb could not open `dir`, in words. lmdb records its readers in lock.mdb even when opened
 * read-only, so a directory this user cannot write is refused unless the file system itself is
 * read-only ("Attempting to setup locks").
 */
function openFault(dir: string, readOnly: boolean, e: unknown): Error {
  const err = e as { code?: unknown; message?: string };
  const text = err.message ?? String(e);
  const code = typeof err.code === 'string' ? err.code : /setup locks|Permission denied/i.test(text) || err.code === 13 ? 'EACCES' : /No space|MDB_MAP_FULL/i.test(text) || err.code === 28 ? 'ENOSPC' : /Read-only file system/i.test(text) || err.code === 30 ? 'EROFS' : null;
  if (code === null) return e instanceof Error ? e : new Error(text);
  const hint = code === 'EACCES' && readOnly ? ': reading needs write access to its lock.mdb (lmdb records readers there), or a copy of the directory' : '';
  return new LogResourceError(`${dir}: cannot open the log${readOnly ? ' read-only' : ''}: ${faultWords(code, dir)}${hint}; nothing was changed`, { cause: e });
}
