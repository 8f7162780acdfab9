import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { ingestFile } from '../../../sources/ingest/index.ts';
import { openLog } from '../../../cli/log-access.ts';
import { nodeEntry, runCli, tempDir, type CliResult } from '../../helpers/cli.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { FIXTURES } from '../../unit/ingest/ingest-helpers.ts';

const tmp = tempDir('tickflow-faults-');
const mounted: string[] = [];
// Unmount before the temporary directory is removed (hooks run in the order they are added).
after(() => {
  for (const m of mounted) execFileSync('umount', [m], { stdio: 'ignore' });
  tmp.cleanup();
});

/**
 * What a directory holds: names, sizes, mtimes and the sha256 of each file, except the content and
 * mtime of lock.mdb: lmdb records its readers there (shared memory), whatever the mode, and a
 * reader opening a fresh environment writes its slot.
 */
function snapshot(dir: string): string[] {
  return readdirSync(dir).sort().map((f) => {
    const p = join(dir, f);
    const s = statSync(p);
    return f === 'lock.mdb' ? `${f} ${s.size}` : `${f} ${s.size} ${s.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  });
}

/** Mounts a tmpfs of `size` at a new directory; null when this process may not mount (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(name: string, size: string): string | null {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}

describe('resource faults as messages; read commands open the log read-only', () => {
  let log = '';
  before(async () => {
    log = join(tmp.dir, 'log');
    const access = await openLog(log);
    try {
      await ingestFile(access, { file: join(FIXTURES, 'binance-header-ms.csv'), format: 'binance-klines', symbol: 'AVAXUSDT' });
    } finally {
      await access.close();
    }
  });

  test('readOnly creates and modifies nothing (as root, where chmod stops no writes, this is the check); appends are refused', async () => {
    const before = snapshot(log);
    const ro = await openEmbeddedLog(log, { readOnly: true });
    try {
      assert.deepEqual(await ro.log.topics(), ['candles']);
      let n = 0;
      for (let p = 0; p < (await ro.log.partitions('candles')); p++) for await (const b of ro.log.read('candles', p)) n += b.length;
      assert.ok(n > 0);
      // A topic the log does not hold is not created.
      assert.equal(await ro.log.partitions('trades'), 4);
      await assert.rejects(ro.log.append('candles', []), /the log is open read-only; cannot append to candles/);
    } finally {
      await ro.close();
    }
    assert.deepEqual(snapshot(log), before);
    const missing = join(tmp.dir, 'nothing-here');
    await assert.rejects(openEmbeddedLog(missing, { readOnly: true }), /is not an event log \(no data\.mdb in it\)/);
    assert.equal(existsSync(missing), false);
  });

  test('a log on a read-only file system: replay dataset reads it; ingest is one line, exit 2; nothing changed', async (t) => {
    const fs = mountTmpfs('ro', '64m');
    if (fs === null) {
      t.skip('cannot mount a tmpfs here (needs root): the read-only file system case is not run');
      return;
    }
    mounted.push(fs);
    const dir = join(fs, 'log');
    const g = await runCli(['generate', '--days', '1', '--out', dir]);
    assert.equal(g.code, 0, g.stderr);
    const before = snapshot(dir);
    execFileSync('mount', ['-o', 'remount,ro', fs]);
    // Before read-only opening: "Read-only file system: Attempting to setup locks", exit 1.
    // Both in ONE process (test/helpers/cli-batch.ts), each as its own process would run it.
    const [d, i] = (await runCliBatch([
      ['replay', 'dataset', '--log', dir, '--out', join(tmp.dir, 'ds.csv')],
      ['ingest', '--log', dir, '--file', join(FIXTURES, 'binance-header-ms.csv'), '--format', 'binance-klines', '--symbol', 'AVAXUSDT'],
    ])) as [CliResult, CliResult];
    assert.equal(d.code, 0, d.stderr);
    assert.ok((d.json.rows as number) > 0);
    assert.equal(i.code, 2, i.stderr);
    assert.equal(i.stderr.trim().split('\n').length, 1, i.stderr);
    assert.match(i.stderr, /read-only file system/);
    execFileSync('mount', ['-o', 'remount,rw', fs]);
    assert.deepEqual(snapshot(dir), before);
  });

  test('a directory this user cannot write (chmod -R a-w, run as an unprivileged user): replay reads it; ingest is one line, exit 2', async (t) => {
    // As root, chmod stops no writes: the CLI runs as `nobody` (uid 65534) instead. Not root: skipped.
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run the CLI as another user; the readOnly test above covers the opening mode');
      return;
    }
    // `nobody` must be able to load the project (a checkout under a mode-700 directory, such as
    // mktemp's, is not readable by other users).
    const root = join(import.meta.dirname, '..', '..', '..');
    try {
      execFileSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(root, 'node_modules', 'tsx', 'package.json'))})`], { uid: 65534, gid: 65534, stdio: 'ignore' });
    } catch {
      t.skip(`uid 65534 cannot read the checkout at ${root} (a parent directory is not readable by other users): the unprivileged-user case is not run`);
      return;
    }
    const copy = join(tmp.dir, 'ro-copy');
    cpSync(log, copy, { recursive: true });
    chmodSync(tmp.dir, 0o755);
    const out = join(tmp.dir, 'nobody-out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    execFileSync('chmod', ['-R', 'a-w', copy]);
    const before = snapshot(copy);
    const asNobody = (args: string[]): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...nodeEntry(join(import.meta.dirname, '..', '..', '..', 'cli', 'main.ts')), ...args], {
          cwd: join(import.meta.dirname, '..', '..', '..'), uid: 65534, gid: 65534, env: { ...process.env, HOME: tmp.dir }, stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
    // Before read-only opening: "Permission denied: Attempting to setup locks", exit 1. Now the log
    // is read: its 3 candles are too few for a labelled row, which is the (usage) message.
    const r = await asNobody(['replay', 'dataset', '--log', copy, '--out', join(out, 'nobody.csv')]);
    assert.doesNotMatch(r.stderr, /setup locks|Permission denied/i, r.stderr);
    assert.match(r.stderr, /3 inputs gave/);
    const i = await asNobody(['ingest', '--log', copy, '--file', join(FIXTURES, 'binance-header-ms.csv'), '--format', 'binance-klines', '--symbol', 'AVAXUSDT']);
    assert.equal(i.code, 2, i.stderr);
    assert.equal(i.stderr.trim().split('\n').length, 1, i.stderr);
    assert.match(i.stderr, /^tickflow: .*ro-copy.*: permission denied/);
    assert.deepEqual(snapshot(copy), before);
    execFileSync('chmod', ['-R', 'u+w', copy]);
  });

  test('disk full: one line naming the directory, the write and what was kept, exit 2', async (t) => {
    const fs = mountTmpfs('full', '1m');
    if (fs === null) {
      t.skip('cannot mount a tmpfs here (needs root): the disk-full case is not run');
      return;
    }
    mounted.push(fs);
    const dir = join(fs, 'log');
    // Before: an lmdb "Commit failed" stack and an unhandled rejection.
    const g = await runCli(['generate', '--days', '1', '--out', dir]);
    assert.equal(g.code, 2, g.stderr);
    const ours = g.stderr.split('\n').filter((l) => l.startsWith('tickflow:'));
    assert.equal(ours.length, 1, g.stderr);
    assert.match(ours[0]!, new RegExp(`^tickflow: ${dir}: the disk is full \\((EIO|ENOSPC|MDB_MAP_FULL)[^)]*\\) while (appending \\d+ records to \\w+|creating topic \\w+|registering a schema|creating the log); nothing of that write was kept; the log keeps .*, intact`));
    assert.doesNotMatch(g.stderr, /Commit failed/);
  });
});
