import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir, type CliResult } from '../helpers/cli.ts';
import { runCliBatch } from '../helpers/cli-batch.ts';

interface Window { trainFrom: number; trainTo: number; testFrom: number; testTo: number; modelId: string; trades: number }

/**
 * `replay walk-forward` through the CLI on a small seeded market: exact (twice gives the same
 * sha256 and the same report bytes), windows that never train on what they trade, today's
 * backtest field names, and the gates' exit code.
 */
describe('replay walk-forward', () => {
  const tmp = tempDir('tickflow-wf-');
  const log = join(tmp.dir, 'hist');
  after(() => tmp.cleanup());
  const args = (out: string): string[] => ['replay', 'walk-forward', '--log', log, '--train-days', '2', '--test-days', '0.5', '--out', out, '--draws', '100'];

  // Three days: two windows of 2 days' training and 0.5 days' test. Windows of 0.5 days' training
  // (138 rows, 12-15 of them for validation) fitted no policy with an edge, so they made no trade
  // and the out-of-sample checks on trades below checked nothing; these make 36 and 31 (seed 11).
  before(async () => {
    const g = await runCli(['generate', '--out', log, '--symbols', 'BTC', '--days', '3', '--seed', '11', '--signal-strength', '2']);
    assert.equal(g.code, 0, g.stderr);
  });

  test('twice gives the same sha256 and report; windows roll forward without overlap', async () => {
    const a = await runCli(args(join(tmp.dir, 'a')));
    const b = await runCli(args(join(tmp.dir, 'b')));
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json.sha256, b.json.sha256);
    assert.deepEqual(readFileSync(join(tmp.dir, 'a', 'report.json')), readFileSync(join(tmp.dir, 'b', 'report.json')));
    for (const k of ['trades', 'totalReturn', 'sharpe', 'maxDrawdown', 'winRate', 'profitFactor', 'sha256', 'sortino', 'calmar', 'cagr', 'exposure', 'turnover', 'probabilisticSharpe', 'deflatedSharpe', 'buyAndHold', 'randomEntry', 'gates', 'windows']) assert.ok(k in a.json, k);
    const windows = a.json.windows as Window[];
    assert.ok(windows.length >= 2, `${windows.length} windows`);
    for (const [i, w] of windows.entries()) {
      assert.ok(w.trainFrom < w.trainTo && w.trainTo === w.testFrom && w.testFrom < w.testTo);
      if (i > 0) assert.equal(w.testFrom, windows[i - 1]!.testTo, 'test windows tile the out-of-sample period');
    }
    assert.equal(new Set(windows.map((w) => w.modelId)).size, windows.length, 'one model per window');
    // The stitched backtest covers exactly the test windows.
    const win = a.json.window as { from: number; to: number };
    assert.equal(win.from, windows[0]!.testFrom);
    assert.ok(win.to >= windows.at(-1)!.testTo - 300_000);
    // Every trade enters inside a test window, so out of sample.
    const report = JSON.parse(readFileSync(join(tmp.dir, 'a', 'report.json'), 'utf8')) as { trades: { entryTime: number; size: number }[] };
    assert.ok(report.trades.length >= 10, `${report.trades.length} trades: too few for the checks below to mean anything`);
    assert.equal(report.trades.length, a.json.trades);
    for (const t of report.trades) {
      assert.ok(windows.some((w) => t.entryTime >= w.testFrom && t.entryTime < w.testTo), `trade at ${t.entryTime} enters outside every test window`);
      assert.ok(t.size > 0 && t.size <= 1);
    }
  });

  test('--gates: a failed gate exits 1 and names it; a window longer than the data is a usage error (exit 2)', async () => {
    writeFileSync(join(tmp.dir, 'gates.json'), '{"minTrades": 1000000}');
    // Both in one process (test/helpers/cli-batch.ts): exit codes and output as their own processes'.
    const [g, long] = (await runCliBatch([[...args(join(tmp.dir, 'g')), '--gates', join(tmp.dir, 'gates.json')], ['replay', 'walk-forward', '--log', log, '--train-days', '30', '--test-days', '1']])) as [CliResult, CliResult];
    assert.equal(g.code, 1, g.stderr);
    assert.deepEqual((g.json.gates as { failed: string[] }).failed.includes('minTrades'), true);
    assert.equal(long.code, 2);
    assert.match(long.stderr, /shorter than one training window/);
  });
});
