import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir, type CliResult } from '../helpers/cli.ts';
import { CliQueue } from '../helpers/cli-queue.ts';

/**
 * cross-v1 through the CLI on a two-symbol synthetic market (BTC as the reference): the dataset
 * repeats bit for bit, and a live run with a cross-v1 model records the signals a replay of its
 * log produces (`verify`), although each ETH vector waits for BTC's bar of the same end.
 *
 * Everything runs once in `before`, the tests assert on the results: the research commands in two
 * CLI processes (runCliBatch, docs/testing.md "CLI runs in one process"; a CLI process spends about
 * 2 CPU s loading modules before its command starts), the two cross datasets that must be the same
 * bytes one in each; the live run is a process of its own, without the WebSocket server (--no-ws:
 * nothing here connects to it).
 */
describe('cross-asset features end to end', () => {
  const tmp = tempDir('tickflow-xasset-');
  const log = join(tmp.dir, 'hist');
  const model = join(tmp.dir, 'model');
  const live = join(tmp.dir, 'live');
  after(() => tmp.cleanup());

  const first = new CliQueue();
  const generate = first.queue(['generate', '--out', log, '--symbols', 'BTC,ETH', '--days', '2', '--seed', '5', '--signal-strength', '2']);
  const crossA = first.queue(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'a.csv'), '--feature-set', 'cross:BTC']);
  const coreRun = first.queue(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'core.csv')]);
  const unknownRun = first.queue(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'x.csv'), '--feature-set', 'cross:BTC!']);
  const train = first.queue(['train', '--dataset', join(tmp.dir, 'a.csv'), '--out', model, '--seed', '3', '--family', 'logistic', '--cv-folds', '0']);
  const second = new CliQueue();
  const crossB = second.queue(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'b.csv'), '--feature-set', 'cross:BTC']);
  const verify = second.queue(['verify', '--log', live, '--model', model, '--allow-ungated']);
  let started: CliResult | undefined;

  before(async () => {
    await first.run();
    assert.equal(generate().code, 0, generate().stderr);
    // A quarter of a day of history (6 hours) warms up the 30-bar cross features (2.5 hours) twice
    // over; live == replay does not depend on its length, and start and verify each replay it.
    started = await runCli(['start', '--log', live, '--model', model, '--history-days', '0.25', '--stop-after', '3h', '--speed', '7200', '--no-ws', '--allow-ungated']);
    await second.run();
  });

  test('replay dataset --feature-set cross:BTC twice: same sha256 and bytes; cross columns filled for both symbols', () => {
    const [a, b] = [crossA(), crossB()];
    assert.equal(a.code, 0, a.stderr);
    assert.ok((a.json.rows as number) > 500, `rows ${String(a.json.rows)}`);
    assert.equal(a.json.sha256, b.json.sha256);
    assert.deepEqual(readFileSync(join(tmp.dir, 'a.csv')), readFileSync(join(tmp.dir, 'b.csv')));
    const [header, ...rows] = readFileSync(join(tmp.dir, 'a.csv'), 'utf8').trim().split('\n');
    const cols = (header as string).split(',');
    const corr = cols.indexOf('xa_corr_30');
    assert.ok(corr > 0, header);
    const filled = (sym: string): number => rows.filter((r) => r.startsWith(`${sym},`) && r.split(',')[corr] !== '').length;
    assert.ok(filled('ETH') > 200 && filled('BTC') > 200, `ETH ${filled('ETH')}, BTC ${filled('BTC')}`);
    // BTC against itself: correlation exactly 1 wherever defined.
    for (const r of rows.filter((x) => x.startsWith('BTC,'))) {
      const v = r.split(',')[corr];
      if (v !== '') assert.equal(Number(v), 1);
    }
    const core = coreRun();
    assert.notEqual(core.json.sha256, a.json.sha256);
    const unknown = unknownRun();
    assert.equal(unknown.code, 2, unknown.stderr);
  });

  test('start with a cross-v1 model, then verify: live signals equal replayed ones', () => {
    const t = train();
    assert.equal(t.code, 0, t.stderr);
    const s = started ?? assert.fail('no live run');
    assert.equal(s.code, 0, s.stderr);
    assert.ok((s.json.liveSignals as number) >= 30, `liveSignals ${String(s.json.liveSignals)}`);
    const v = verify();
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.equal(v.json.signals, s.json.signals);
  });
});
