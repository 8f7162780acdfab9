import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir, type CliResult } from '../helpers/cli.ts';
import { CliQueue } from '../helpers/cli-queue.ts';
import type { Signal } from '../../schemas/index.ts';
import { openEmbeddedLog } from '../../storage/log/open-log.ts';
import { logRecords } from '../helpers/log-records.ts';

/**
 * The logistic and GBDT families through the CLI: the same seed gives the same bytes of saved
 * model, `train` prints the contract fields, and a live run with a GBDT model verifies against
 * its replay (live == replay), as the MLP does in determinism.test.ts; so do the stack and the
 * sequence model (whose per-symbol windows must survive a restart). Kept small: the models train
 * on half a day; the live runs write a quarter of a day of history (72 five-minute bars: 21 warm
 * the core features, 16 more fill the sequence window) before their live hours.
 *
 * Everything runs once in `before`, the tests assert on the results: the research commands and
 * the verifies in three CLI processes (runCliBatch, docs/testing.md "CLI runs in one process"; a
 * CLI process spends about 2 CPU s loading modules before its command starts), each seeded
 * same-bytes pair split over two of them; the live runs are processes of their own, without the
 * WebSocket server (--no-ws: nothing here connects to it; determinism.test.ts runs start with it).
 */
describe('model families through the CLI', () => {
  const tmp = tempDir('tickflow-families-');
  const log = join(tmp.dir, 'hist');
  const data = join(tmp.dir, 'd.csv');
  after(() => tmp.cleanup());

  const dir = (name: string): string => join(tmp.dir, name);
  const live = (args: string[]): string[] => ['start', ...args, '--history-days', '0.25', '--speed', '7200', '--no-ws', '--allow-ungated'];
  const seqArgs = ['train', '--dataset', data, '--seed', '3', '--family', 'sequence', '--epochs', '5', '--cv-folds', '0'];
  const first = new CliQueue();
  const generate = first.queue(['generate', '--out', log, '--symbols', 'BTC,ETH', '--days', '0.5', '--seed', '5', '--signal-strength', '2']);
  const dataset = first.queue(['replay', 'dataset', '--log', log, '--out', data]);
  const gbdt1 = first.queue(['train', '--dataset', data, '--out', dir('g1'), '--seed', '3', '--family', 'gbdt']);
  const stack = first.queue(['train', '--dataset', data, '--out', dir('stack'), '--seed', '3', '--family', 'stack', '--epochs', '5', '--cv-folds', '0']);
  const seq1 = first.queue([...seqArgs, '--out', dir('seq')]);
  const second = new CliQueue();
  const gbdt2 = second.queue(['train', '--dataset', data, '--out', dir('g2'), '--seed', '3', '--family', 'gbdt']);
  const seq2 = second.queue([...seqArgs, '--out', dir('seq2')]);
  const verifies = new CliQueue();
  const verify = (logDir: string, model: string): (() => CliResult) => verifies.queue(['verify', '--log', logDir, '--model', model, '--allow-ungated']);
  const gbdtVerify = verify(dir('live'), dir('g1'));
  const stackVerify = verify(dir('live-stack'), dir('stack'));
  const seqVerify = verify(dir('live-seq'), dir('seq'));
  const starts = new Map<string, CliResult>();
  const started = (name: string): CliResult => starts.get(name) ?? assert.fail(`no live run ${name}`);

  before(async () => {
    await first.run();
    assert.equal(generate().code, 0, generate().stderr);
    assert.equal(dataset().code, 0, dataset().stderr);
    await second.run();
    // A model trained on half a day cannot pass its validation gates; these runs are about live ==
    // replay with each family, so it is traded anyway (start and verify alike: --allow-ungated).
    starts.set('gbdt', await runCli(live(['--log', dir('live'), '--model', dir('g1'), '--stop-after', '2h'])));
    starts.set('stack', await runCli(live(['--log', dir('live-stack'), '--model', dir('stack'), '--stop-after', '2h'])));
    starts.set('seq', await runCli(live(['--log', dir('live-seq'), '--model', dir('seq'), '--stop-after', '2h'])));
    starts.set('seq-restart', await runCli(live(['--log', dir('live-seq'), '--model', dir('seq'), '--stop-after', '1h'])));
    await verifies.run();
  });

  test('train --family gbdt twice with one seed: same model bytes; the report has family, ece, brier, calibration, split', () => {
    const [a, b] = [gbdt1(), gbdt2()];
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json.family, 'gbdt');
    assert.equal(a.json.modelId, b.json.modelId);
    for (const f of ['params.json', 'manifest.json']) assert.deepEqual(readFileSync(join(tmp.dir, 'g1', f)), readFileSync(join(tmp.dir, 'g2', f)), f);
    const m = a.json.metrics as Record<string, number>;
    assert.ok((m.ece as number) >= 0 && (m.ece as number) < 1 && (m.brier as number) > 0 && (m.brier as number) < 2);
    const cal = a.json.calibration as { method: string; eceBefore: number; eceAfter: number };
    assert.ok(['temperature', 'isotonic'].includes(cal.method));
    assert.ok(cal.eceAfter <= cal.eceBefore + 1e-12, `validation ECE ${cal.eceBefore} -> ${cal.eceAfter}`);
    const s = a.json.split as Record<string, number>;
    const order = ['trainStart', 'trainEnd', 'validationStart', 'validationEnd', 'testStart', 'testEnd'].map((k) => s[k] as number);
    for (let i = 1; i < order.length; i++) assert.ok((order[i] as number) > (order[i - 1] as number), JSON.stringify(s));
  });

  test('start --stop-after with a GBDT model, then verify: live signals equal replayed ones', async () => {
    const s = started('gbdt');
    assert.equal(s.code, 0, s.stderr);
    assert.ok((s.json.liveSignals as number) >= 20, `liveSignals ${String(s.json.liveSignals)}`);
    const v = gbdtVerify();
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.equal(v.json.signals, s.json.signals);
    // The recorded signals carry the forward-return heads and the contributions (Signal v2).
    const embedded = await openEmbeddedLog(dir('live'));
    try {
      let seen = 0;
      for (let p = 0; p < (await embedded.log.partitions('signals')); p++) {
        for await (const batch of embedded.log.read('signals', p)) {
          for (const rec of batch) {
            const sig = embedded.serde.decodeAs<Signal>('signals', rec.value);
            assert.ok(typeof sig.q10 === 'number' && typeof sig.q50 === 'number' && typeof sig.q90 === 'number' && typeof sig.expectedReturn === 'number');
            assert.ok(sig.q10 <= sig.q50 && sig.q50 <= sig.q90, JSON.stringify(sig));
            // At most three, largest |value| first; fewer when fewer features moved the class (a
            // half-day GBDT stops after a few rounds, whose trees split on few features).
            const c = sig.contributions ?? [];
            assert.ok(c.length >= 1 && c.length <= 3, JSON.stringify(sig));
            for (let i = 1; i < c.length; i++) assert.ok(Math.abs(c[i - 1]!.value) >= Math.abs(c[i]!.value));
            seen++;
          }
        }
      }
      assert.equal(seen, s.json.signals);
    } finally {
      await embedded.close();
    }
  });

  test('train --family stack, start with it, then verify: the infer operator holds a stack like any family, live == replay', () => {
    const t = stack();
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.json.family, 'stack');
    assert.deepEqual((t.json.candidates as { family: string }[]).map((c) => c.family), ['logistic', 'gbdt', 'mlp', 'stack']);
    const s = started('stack');
    assert.equal(s.code, 0, s.stderr);
    assert.ok((s.json.liveSignals as number) >= 20, `liveSignals ${String(s.json.liveSignals)}`);
    const v = stackVerify();
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.equal(v.json.signals, s.json.signals);
  });
  test('train --family sequence twice: same bytes; start, restart from its checkpoint, then verify: the windows survive the restart, live == replay', () => {
    const [t, t2] = [seq1(), seq2()];
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.json.family, 'sequence');
    assert.equal(t.json.modelId, t2.json.modelId);
    for (const f of ['params.json', 'manifest.json']) assert.deepEqual(readFileSync(join(tmp.dir, 'seq', f)), readFileSync(join(tmp.dir, 'seq2', f)), f);
    const s = started('seq');
    assert.equal(s.code, 0, s.stderr);
    assert.ok((s.json.liveSignals as number) >= 10, `liveSignals ${String(s.json.liveSignals)}`);
    const r = started('seq-restart');
    assert.equal(r.code, 0, r.stderr);
    // The restart takes its state, windows included, from a checkpoint, not from a replay of the whole log.
    const resumed = logRecords(r.stderr).filter((x) => x.component === 'checkpoints' && x.event === 'resume');
    assert.equal(resumed.length, 1, r.stderr);
    assert.ok((r.json.liveSignals as number) >= 5, `liveSignals after the restart ${String(r.json.liveSignals)}`);
    const v = seqVerify();
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.equal(v.json.signals, (s.json.signals as number) + (r.json.liveSignals as number));
  });
});
