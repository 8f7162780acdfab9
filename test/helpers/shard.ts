/**
 * Runs a share of a directory's test files in this one process, each file's tests inside a suite
 * named by the file's path. `node --test` starts one process per file; on this 2-core machine the
 * start of a process and the loading of its modules (tsx, tfjs, lmdb, rxjs, zod) cost about half
 * a CPU second per file, more than most unit files' tests. A file's top-level `before`/`after`
 * hooks stay its own: they run inside its suite (imported while the suite is built).
 *
 * Files are dealt round-robin in sorted order, so a new test file joins a shard with no edit here.
 * What a file asserts is untouched; only the process it runs in is shared. A file that needs a
 * process of its own (it changes process-wide state it does not restore) can still be run alone:
 * `node --import tsx --test <file>`.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runnable } from './cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every `*.test.ts` under `dir` (relative to the repository), sorted by path. */
export function testFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.test.ts')) found.push(relative(ROOT, p));
    }
  };
  walk(join(ROOT, dir));
  // Plain code-unit order, the order of `find | sort` with LC_ALL=C.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The files of shard `index` (1-based) of `count` over `dir`. */
export function shardFiles(dir: string, index: number, count: number): string[] {
  return testFiles(dir).filter((_, i) => i % count === index - 1);
}

/** Declares one suite per file of shard `index` of `count`; each suite imports its file. */
export function runShard(dir: string, index: number, count: number): void {
  for (const file of shardFiles(dir, index, count)) {
    describe(file, async () => {
      // Under `npm test` this shard runs compiled, and so do its files (test/compile.ts).
      await import(pathToFileURL(runnable(join(ROOT, file))).href);
    });
  }
}
