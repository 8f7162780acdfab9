import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';

/**
 * Most named sub-databases an embedded log directory can hold: one per topic-partition plus a few
 * for metadata, the time index and the schema registry.
 */
export const MAX_DBS = 1024;

export interface SharedEnv {
  readonly env: RootDatabase;
  readonly path: string;
  /** Drops this holder's reference; the environment closes with the last one. */
  release(): Promise<void>;
}

const shared = new Map<string, { env: RootDatabase; refs: number }>();

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
export function acquireLmdbEnv(dir: string): SharedEnv {
  const path = resolve(dir);
  let entry = shared.get(path);
  if (!entry) {
    mkdirSync(path, { recursive: true });
    // noSubdir false: the directory holds data.mdb and lock.mdb even if its name contains a dot.
    entry = { env: open({ path, maxDbs: MAX_DBS, noSubdir: false }), refs: 0 };
    shared.set(path, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    env: held.env,
    path,
    async release() {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      shared.delete(path);
      await held.env.close();
    },
  };
}
