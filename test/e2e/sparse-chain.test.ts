import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDir, type CliResult } from '../helpers/cli.ts';
import { runCliBatch } from '../helpers/cli-batch.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'chains');
const SPARSE = join(FIXTURES, 'sparse-chain.csv');
// Counted by make_sparse_chain.py from what it generated, independently of tickflow.
const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'sparse-chain.expected.json'), 'utf8')) as { inSession: number; preOpen: number; repeats: number; gapSlots: number };
const NIFTY = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'nse_nifty_option_chain_1min_20260818.parquet');

const IST_MS = 5.5 * 3_600_000;
/** Minutes after local midnight in India. */
const istMinute = (t: number): number => Math.floor(((t + IST_MS) % 86_400_000) / 60_000);

function readRows(file: string): { symbol: string; barEnd: number }[] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => {
    const [symbol, barEnd] = l.split(',');
    return { symbol: symbol as string, barEnd: Number(barEnd) };
  });
}

function assertSortedInSession(rows: { symbol: string; barEnd: number }[]): void {
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    assert.ok(a.barEnd < b.barEnd || (a.barEnd === b.barEnd && a.symbol < b.symbol), `row ${i + 1}: (${b.barEnd}, ${b.symbol}) after (${a.barEnd}, ${a.symbol})`);
  }
  // NSE session [09:15, 15:30): the first bar can end at 09:20, the last at 15:30.
  for (const r of rows) assert.ok(istMinute(r.barEnd) >= 9 * 60 + 20 && istMinute(r.barEnd) <= 15 * 60 + 30, `bar ending ${new Date(r.barEnd).toISOString()} is outside the session`);
}

describe('a sparse multi-day chain: ingest with --snapshot-window -> full dataset -> train', () => {
  const tmp = tempDir('tickflow-sparse-chain-');
  const log = join(tmp.dir, 'log');
  after(() => tmp.cleanup());
  // The three ingests run in ONE process (test/helpers/cli-batch.ts), started by the first test.
  let ingests: Promise<CliResult[]> | undefined;
  const ingest = async (i: number): Promise<CliResult> =>
    (await (ingests ??= runCliBatch([
      ['ingest', '--log', join(tmp.dir, 'exact'), '--file', SPARSE, '--format', 'option-chain-long'],
      ['ingest', '--log', log, '--file', SPARSE, '--format', 'option-chain-long', '--snapshot-window', '1s'],
      ['ingest', '--log', log, '--file', SPARSE, '--format', 'option-chain-long', '--snapshot-window', '1s'],
    ])))[i]!;

  test('without a window every per-contract row is its own snapshot', async () => {
    const r = await ingest(0);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.accepted, r.json.contracts);
  });

  test('--snapshot-window 1s: snapshots, pre-open rejections, stale repeats and gaps as generated', async () => {
    const r = await ingest(1);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.accepted, EXPECTED.inSession);
    assert.deepEqual(r.json.reasons, { 'outside-session': EXPECTED.preOpen });
    // Identical raw fields after the close, though the solved IVs differ (time to expiry moved on).
    assert.equal(r.json.stale, EXPECTED.repeats);
    assert.equal(r.json.ivComputed, r.json.contracts);
    assert.equal(r.json.gaps, EXPECTED.gapSlots);
    assert.equal(r.json.snapshotWindowMs, 1000);
    const again = await ingest(2);
    assert.equal(again.json.accepted, 0);
    assert.deepEqual(again.json.reasons, { 'outside-session': EXPECTED.preOpen, duplicate: EXPECTED.inSession });
    assert.equal(again.json.gaps, EXPECTED.gapSlots); // snapshots already in the log still cover their slots
  });

  test('full dataset: rows in (barEnd, symbol) order, all in session, same bytes twice; train accepts it', async () => {
    const a = await runCli(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'd.csv'), '--feature-set', 'full']);
    assert.equal(a.code, 0, a.stderr);
    const rows = readRows(join(tmp.dir, 'd.csv'));
    assert.equal(rows.length, a.json.rows);
    assert.ok(rows.length > 400, `rows ${rows.length}`);
    assert.deepEqual(new Set(rows.map((r) => r.symbol)), new Set(['BANKNIFTY', 'NIFTY']));
    assertSortedInSession(rows);
    // The second dataset (another process than the first) and train in one process.
    const [b, t] = (await runCliBatch([
      ['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'd2.csv'), '--feature-set', 'full'],
      ['train', '--dataset', join(tmp.dir, 'd.csv'), '--out', join(tmp.dir, 'm'), '--seed', '1', '--family', 'logistic'],
    ])) as [CliResult, CliResult];
    assert.equal(b.json.sha256, a.json.sha256);
    assert.equal(t.code, 0, t.stderr);
    assert.match(String(t.json.modelId), /^[0-9a-f]{16}$/);
  });
});

describe('the NSE NIFTY day from ../shared/data', { skip: existsSync(NIFTY) ? false : `missing ${NIFTY}` }, () => {
  const tmp = tempDir('tickflow-nifty-chain-');
  const log = join(tmp.dir, 'log');
  after(() => tmp.cleanup());

  test('one snapshot a minute: no 1-minute gap in session; the full dataset is sorted and in session', async () => {
    // Both runs in one process (test/helpers/cli-batch.ts).
    const [r, d] = (await runCliBatch([
      ['ingest', '--log', log, '--file', NIFTY, '--format', 'option-chain-long', '--tz', 'Asia/Kolkata', '--interval', '1m'],
      ['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'd.csv'), '--feature-set', 'full'],
    ])) as [CliResult, CliResult];
    assert.equal(r.code, 0, r.stderr);
    // SOURCES.md: 288 snapshots 10:43 .. 15:30 IST, one a minute; 15:30 is the close (outside).
    assert.equal(r.json.accepted, 287);
    assert.equal(r.json.gaps, 0);
    assert.equal(d.code, 0, d.stderr);
    assertSortedInSession(readRows(join(tmp.dir, 'd.csv')));
  });
});
