import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDir, type CliResult } from '../helpers/cli.ts';
import { runCliBatch } from '../helpers/cli-batch.ts';

// Four years of daily candles (1,461 rows, 2022-01-01 .. 2025-12-31) written by
// test/fixtures/daily/make_daily.py, committed beside it.
const DAILY = join(import.meta.dirname, '..', 'fixtures', 'daily', 'btc-daily.csv');

describe('daily candles: ingest -> 1d dataset -> train -> 1d backtest', () => {
  const tmp = tempDir('tickflow-daily-');
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');
  after(() => tmp.cleanup());
  // The runs in two batches, each ONE process (test/helpers/cli-batch.ts), started by the first test
  // that needs a result: ingest, the refused 5m dataset and the first 1d dataset; then train and the
  // two backtests. The second 1d dataset is its own process (same bytes as the first, another process).
  const d5 = join(tmp.dir, 'd5.csv');
  let first: Promise<CliResult[]> | undefined;
  const firstBatch = (): Promise<CliResult[]> =>
    (first ??= runCliBatch([
      ['ingest', '--log', log, '--file', DAILY, '--format', 'ohlcv-csv', '--symbol', 'BTC', '--tz', 'UTC'],
      ['replay', 'dataset', '--log', log, '--out', d5],
      ['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'd.csv'), '--interval', '1d'],
    ]));
  let second: Promise<CliResult[]> | undefined;
  const secondBatch = (): Promise<CliResult[]> =>
    (second ??= runCliBatch([
      ['train', '--dataset', join(tmp.dir, 'd.csv'), '--out', model, '--seed', '1', '--family', 'logistic'],
      ['replay', 'backtest', '--log', log, '--model', model, '--out', join(tmp.dir, 'bt5'), '--allow-ungated'],
      ['replay', 'backtest', '--log', log, '--model', model, '--out', join(tmp.dir, 'bt'), '--allow-ungated', '--interval', '1d', '--out-of-sample', '--draws', '50'],
    ]));

  test('ingest: 1461 daily candles, no gaps', async () => {
    const r = (await firstBatch())[0]!;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.accepted, 1461);
    assert.equal(r.json.gaps, 0);
  });

  test('at the default 5m interval the daily candles are refused (exit 2), nothing written', async () => {
    const out = d5;
    const r = (await firstBatch())[1]!;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /1d candles, coarser than the signal interval 5m; replay with --interval 1d/);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(`${out}.meta.json`), false);
  });

  test('--interval 1d: a non-empty daily dataset, the same bytes twice', async () => {
    const a = (await firstBatch())[2]!;
    assert.equal(a.code, 0, a.stderr);
    // 1461 daily bars; the last 6 have no bar one horizon later; the 1461st bar ends on 2026-01-01.
    assert.equal(a.json.rows, 1455);
    const b = await runCli(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'd2.csv'), '--interval', '1d']);
    assert.equal(b.json.sha256, a.json.sha256);
    const meta = JSON.parse(readFileSync(join(tmp.dir, 'd.csv.meta.json'), 'utf8')) as Record<string, string>;
    assert.equal(meta.interval, '1d');
    assert.equal(meta.horizonBars, '6');
    const rows = readFileSync(join(tmp.dir, 'd.csv'), 'utf8').trim().split('\n').slice(1);
    const ends = rows.map((l) => Number(l.split(',')[1]));
    for (let i = 1; i < ends.length; i++) assert.equal((ends[i] as number) - (ends[i - 1] as number), 86_400_000);
    assert.equal(ends[0], Date.UTC(2022, 0, 2)); // the first daily bar [01-01, 01-02) is stamped at its close
  });

  test('train on it: the split purges with a 6-day horizon', async () => {
    const r = (await secondBatch())[0]!;
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')) as { labelConfig: { barIntervalMs: number; horizonBars: number }; split: { horizonMs: number; embargoMs: number } };
    assert.equal(manifest.labelConfig.barIntervalMs, 86_400_000);
    assert.equal(manifest.split.horizonMs, 6 * 86_400_000);
    assert.equal(manifest.split.embargoMs, 6 * 86_400_000);
  });

  test('backtest: refused at 5m with a clear message, runs at 1d', async () => {
    const bad = (await secondBatch())[1]!;
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /was trained on 1d bars, this run is at --interval 5m: pass --interval 1d/);
    const r = (await secondBatch())[2]!;
    assert.equal(r.code, 0, r.stderr);
    assert.ok((r.json.trades as number) > 0, JSON.stringify(r.json));
    assert.equal(r.json.inSampleSignals, 0);
  });
});
