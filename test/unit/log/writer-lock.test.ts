import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireWriterLock, LogLockedError } from '../../../storage/log/writer-lock.ts';
import { nodeEntry, tempDir } from '../../helpers/cli.ts';

const CONTENDER = join(import.meta.dirname, '..', '..', 'fixtures', 'log', 'lock-contender.ts');

interface Tally {
  won: number;
  refused: number;
  overlaps: number;
}

/**
 * Runs `n` lock contenders (test/fixtures/log/lock-contender.ts) on `dir` at once; their tallies.
 * With `met` (a directory), a holder keeps the lock until all `n` have tried.
 */
async function contend(n: number, dir: string, rounds: number, met?: string): Promise<Tally[]> {
  const runs = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [...nodeEntry(CONTENDER), dir, String(rounds), ...(met ? [met, String(n)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise<Tally>((resolve, reject) =>
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as Tally) : reject(new Error(`contender exited ${String(code)}: ${err}`)))),
    );
  });
  return Promise.all(runs);
}

describe('writer lock', () => {
  test('held: a second writer is refused with the holder named; released: taken again', () => {
    const tmp = tempDir('tickflow-lock-');
    try {
      const release = acquireWriterLock(tmp.dir, 'ingest');
      assert.equal(readFileSync(join(tmp.dir, 'writer.lock'), 'utf8'), `${process.pid}\ningest\n`);
      assert.throws(() => acquireWriterLock(tmp.dir, 'start'), (e: unknown) => e instanceof LogLockedError && e.pid === process.pid && e.holder === 'ingest' && /being written by process \d+ \(tickflow ingest\)/.test(e.message));
      release();
      assert.equal(existsSync(join(tmp.dir, 'writer.lock')), false);
      acquireWriterLock(tmp.dir, 'start')();
    } finally {
      tmp.cleanup();
    }
  });

  test('a lock left by a process that is gone (kill -9) is taken over', () => {
    const tmp = tempDir('tickflow-lock-');
    try {
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      writeFileSync(join(tmp.dir, 'writer.lock'), `${gone}\nstart\n`);
      const release = acquireWriterLock(tmp.dir, 'generate');
      assert.match(readFileSync(join(tmp.dir, 'writer.lock'), 'utf8'), new RegExp(`^${process.pid}\ngenerate`));
      release();
    } finally {
      tmp.cleanup();
    }
  });

  // The lock used to be created empty (O_EXCL) and then written: a writer reading it in between
  // took the empty lock as stale, removed it and took the lock too (two concurrent ingests both
  // appended; CI 2026-12-01). Processes racing in a loop hit that window within a few hundred rounds.
  test('processes racing for the lock: never two holders at once, and every round is won or refused', async () => {
    const tmp = tempDir('tickflow-lock-');
    try {
      const rounds = 300;
      const tallies = await contend(4, tmp.dir, rounds);
      assert.deepEqual(tallies.map((t) => t.overlaps), [0, 0, 0, 0], JSON.stringify(tallies));
      for (const t of tallies) assert.equal(t.won + t.refused, rounds);
      assert.ok(tallies.reduce((n, t) => n + t.won, 0) >= rounds, `the lock was won ${JSON.stringify(tallies)}`);
      assert.deepEqual(readdirSync(tmp.dir), [], 'no lock, break or temporary file left');
    } finally {
      tmp.cleanup();
    }
  });

  test('a stale lock found by several processes at once is taken over by exactly one', async () => {
    const tmp = tempDir('tickflow-lock-');
    const met = tempDir('tickflow-lock-met-');
    try {
      for (let trial = 0; trial < 3; trial++) {
        for (const f of readdirSync(met.dir)) rmSync(join(met.dir, f));
        const gone = spawnSync(process.execPath, ['-e', '']).pid;
        writeFileSync(join(tmp.dir, 'writer.lock'), `${gone}\nstart\n`);
        // The winner holds the lock until all four have tried.
        const tallies = await contend(4, tmp.dir, 1, met.dir);
        assert.equal(tallies.reduce((n, t) => n + t.won, 0), 1, JSON.stringify(tallies));
        assert.equal(tallies.reduce((n, t) => n + t.overlaps, 0), 0);
        assert.deepEqual(readdirSync(tmp.dir), []);
      }
    } finally {
      tmp.cleanup();
      met.cleanup();
    }
  });
});
