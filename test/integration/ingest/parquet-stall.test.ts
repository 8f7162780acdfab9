import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openLog } from '../../../cli/log-access.ts';
import { nodeEntry, runCli, tempDir, type CliResult } from '../../helpers/cli.ts';
import { FIXTURES, readTopic } from '../../unit/ingest/ingest-helpers.ts';

// `tickflow ingest` with a Parquet decoder that never returns (test/fixtures/ingest/
// hanging-parquet-worker-boot.mjs, swapped in by cli-hanging-parquet.ts, which is cli/main.ts
// otherwise): the watchdog (sources/ingest/parquet-chunks.ts, decisions.md D133) must end it.
const ROOT = join(import.meta.dirname, '..', '..', '..');
const HANGING_CLI = join(ROOT, 'test', 'fixtures', 'ingest', 'cli-hanging-parquet.ts');
const tmp = tempDir('tickflow-parquet-stall-cli-');
// The decoder here never progresses, so any timeout ends it the same way; each run busy-loops a core
// for the whole of it, so it is short (it was 2 s: 6 CPU-s of spinning for the three runs).
const STALL_MS = 250;
after(() => tmp.cleanup());

function runHanging(args: string[]): Promise<CliResult & { ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeEntry(HANGING_CLI), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: {}, ms: performance.now() - t0 }));
  });
}

const stallLine = (file: string): string => `tickflow: ${file}: not a readable Parquet file (decoding made no progress for ${STALL_MS} ms, not one page; stopped by --parquet-stall-timeout)\n`;

describe('ingest: a Parquet decoder that makes no progress', () => {
  test('into a new log: exit 2, one line naming the file and the stall, no log left behind', async () => {
    const cases = [
      { file: join(FIXTURES, 'trades-generic.parquet'), args: ['--format', 'trades', '--map', 'time=exec_time,price=last_px'] },
      { file: join(FIXTURES, 'chain-corrupt-pages.parquet'), args: ['--format', 'option-chain-long', '--tz', 'Asia/Kolkata'] },
    ];
    for (const [i, c] of cases.entries()) {
      const log = join(tmp.dir, `new-${i}`);
      const r = await runHanging(['ingest', '--log', log, '--file', c.file, ...c.args, '--parquet-stall-timeout', `${STALL_MS}ms`]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, stallLine(c.file));
      assert.equal(r.stdout, '');
      assert.ok(r.ms >= STALL_MS, `ended after ${r.ms} ms, before the stall timeout`);
      assert.equal(existsSync(log), false, 'a failed import leaves no new log behind');
    }
  });

  test('into a log that holds trades: nothing appended, the writer lock released, the file imports after', async () => {
    const log = join(tmp.dir, 'existing');
    const first = await runCli(['ingest', '--log', log, '--file', join(FIXTURES, 'BTCUSDT-trades-2026-07-01.csv'), '--format', 'binance-trades']);
    assert.equal(first.code, 0, first.stderr);
    const before = Number(first.json.accepted);
    assert.ok(before > 0);
    const file = join(FIXTURES, 'trades-generic.parquet');
    const flags = ['--file', file, '--format', 'trades', '--map', 'time=exec_time,price=last_px'];
    const r = await runHanging(['ingest', '--log', log, ...flags, '--parquet-stall-timeout', `${STALL_MS}ms`]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, stallLine(file));
    assert.equal(existsSync(join(log, 'writer.lock')), false, 'the writer lock is released');
    const access = await openLog(log);
    try {
      assert.equal((await readTopic(access, 'trades')).length, before, 'the stalled import appended nothing');
    } finally {
      await access.close();
    }
    // The real decoder, same log: not refused by a leftover lock; every row of the file imported.
    const again = await runCli(['ingest', '--log', log, ...flags]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.accepted, 720);
  });
});
