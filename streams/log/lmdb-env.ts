import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';

/**
 * Most named sub-databases an embedded log directory can hold: one per topic-partition plus a few
 * for metadata, the time index and the schema registry.
 */
export const MAX_DBS = 1024;

/**
 * Opens the lmdb environment of a log directory. Every opener (the event log, the schema registry)
 * goes through here because lmdb-js shares one native environment per path inside a process and
 * the first opener's options (maxDbs) win; keeping them in one place keeps them identical.
 *
 * Durability: lmdb-js defaults to `overlappingSync` on Linux, where a transaction promise resolves
 * when the commit is visible and the fsync follows; writers that promise durability await
 * `env.flushed` after the commit (see LmdbEventLog.append).
 */
export function openLmdbEnv(dir: string): RootDatabase {
  const path = resolve(dir);
  mkdirSync(path, { recursive: true });
  // noSubdir false: the directory holds data.mdb and lock.mdb even if its name contains a dot.
  return open({ path, maxDbs: MAX_DBS, noSubdir: false });
}
