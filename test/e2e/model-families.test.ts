import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir } from '../helpers/cli.ts';
import type { Signal } from '../../schemas/index.ts';
import { openEmbeddedLog } from '../../storage/log/open-log.ts';
import { logRecords } from '../helpers/log-records.ts';

/**
 * The logistic and GBDT families through the CLI: the same seed gives the same bytes of saved
 * model, `train` prints the contract fields, and a live run with a GBDT model verifies against
 * its replay (live == replay), as the MLP does in determinism.test.ts; so do the stack and the
 * sequence model (whose per-symbol windows must survive a restart). Kept small (half a day).
 */
describe('model families through the CLI', () => {
  const tmp = tempDir('tickflow-families-');
  const log = join(tmp.dir, 'hist');
  const data = join(tmp.dir, 'd.csv');
  after(() => tmp.cleanup());

  before(async () => {
    const g = await runCli(['generate', '--out', log, '--symbols', 'BTC,ETH', '--days', '0.5', '--seed', '5', '--signal-strength', '2']);
    assert.equal(g.code, 0, g.stderr);
    const d = await runCli(['replay', 'dataset', '--log', log, '--out', data]);
    assert.equal(d.code, 0, d.stderr);
  });

  test('train --family gbdt twice with one seed: same model bytes; the report has family, ece, brier, calibration, split', async () => {
    const a = await runCli(['train', '--dataset', data, '--out', join(tmp.dir, 'g1'), '--seed', '3', '--family', 'gbdt']);
    const b = await runCli(['train', '--dataset', data, '--out', join(tmp.dir, 'g2'), '--seed', '3', '--family', 'gbdt']);
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
    const model = join(tmp.dir, 'g1');
    const live = join(tmp.dir, 'live');
    // A model trained on half a day cannot pass its validation gates; this test is about live ==
    // replay with a GBDT, so it is traded anyway (start and verify alike).
    const s = await runCli(['start', '--log', live, '--model', model, '--history-days', '0.5', '--stop-after', '2h', '--speed', '7200', '--port', '0', '--allow-ungated']);
    assert.equal(s.code, 0, s.stderr);
    assert.ok((s.json.liveSignals as number) >= 20, `liveSignals ${String(s.json.liveSignals)}`);
    const v = await runCli(['verify', '--log', live, '--model', model, '--allow-ungated']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.equal(v.json.signals, s.json.signals);
    // The recorded signals carry the forward-return heads and the contributions (Signal v2).
    const embedded = await openEmbeddedLog(live);
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

  test('train --family stack, start with it, then verify: the infer operator holds a stack like any family, live == replay', async () => {
    const model = join(tmp.dir, 'stack');
    const t = await runCli(['train', '--dataset', data, '--out', model, '--seed', '3', '--family', 'stack', '--epochs', '5', '--cv-folds', '0']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.json.family, 'stack');
    assert.deepEqual((t.json.candidates as { family: string }[]).map((c) => c.family), ['logistic', 'gbdt', 'mlp', 'stack']);
    const live = join(tmp.dir, 'live-stack');
    const s = await runCli(['start', '--log', live, '--model', model, '--history-days', '0.5', '--stop-after', '2h', '--speed', '7200', '--port', '0', '--allow-ungated']);
    assert.equal(s.code, 0, s.stderr);
    assert.ok((s.json.liveSignals as number) >= 20, `liveSignals ${String(s.json.liveSignals)}`);
    const v = await runCli(['verify', '--log', live, '--model', model, '--allow-ungated']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.equal(v.json.signals, s.json.signals);
  });
  test('train --family sequence twice: same bytes; start, restart from its checkpoint, then verify: the windows survive the restart, live == replay', async () => {
    const model = join(tmp.dir, 'seq');
    const args = ['train', '--dataset', data, '--seed', '3', '--family', 'sequence', '--epochs', '5', '--cv-folds', '0'];
    const t = await runCli([...args, '--out', model]);
    const t2 = await runCli([...args, '--out', join(tmp.dir, 'seq2')]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.json.family, 'sequence');
    assert.equal(t.json.modelId, t2.json.modelId);
    for (const f of ['params.json', 'manifest.json']) assert.deepEqual(readFileSync(join(model, f)), readFileSync(join(tmp.dir, 'seq2', f)), f);
    const live = join(tmp.dir, 'live-seq');
    const s = await runCli(['start', '--log', live, '--model', model, '--history-days', '0.5', '--stop-after', '2h', '--speed', '7200', '--port', '0', '--allow-ungated']);
    assert.equal(s.code, 0, s.stderr);
    assert.ok((s.json.liveSignals as number) >= 10, `liveSignals ${String(s.json.liveSignals)}`);
    const r = await runCli(['start', '--log', live, '--model', model, '--history-days', '0.5', '--stop-after', '1h', '--speed', '7200', '--port', '0', '--allow-ungated']);
    assert.equal(r.code, 0, r.stderr);
    // The restart takes its state, windows included, from a checkpoint, not from a replay of the whole log.
    const resumed = logRecords(r.stderr).filter((x) => x.component === 'checkpoints' && x.event === 'resume');
    assert.equal(resumed.length, 1, r.stderr);
    assert.ok((r.json.liveSignals as number) >= 5, `liveSignals after the restart ${String(r.json.liveSignals)}`);
    const v = await runCli(['verify', '--log', live, '--model', model, '--allow-ungated']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.identical, true);
    assert.equal(v.json.signals, (s.json.signals as number) + (r.json.liveSignals as number));
  });
});
