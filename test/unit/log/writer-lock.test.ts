import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireWriterLock, LogLockedError } from '../../../storage/log/writer-lock.ts';
import { tempDir } from '../../helpers/cli.ts';

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
});
