import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { trainReport } from '../../../cli/commands/train.ts';
import { readDataset } from '../../../model/dataset.ts';
import { loadPredictor } from '../../../model/predictor.ts';
import { spread } from '../../../model/seed-average.ts';
import { train } from '../../../model/train.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

const dataset = writeSyntheticDataset({ bars: 600, kind: 'linear', seed: 21 });

describe('train --seeds', () => {
  test('spread: mean, sample sd, min, max (sd of 2, 4, 4, 4, 5, 5, 7, 9 with n - 1 is sqrt(32/7), by hand)', () => {
    const s = spread([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(s.mean, 5);
    assert.ok(Math.abs(s.sd - Math.sqrt(32 / 7)) < 1e-15);
    assert.deepEqual([s.min, s.max], [2, 9]);
    assert.equal(spread([3]).sd, 0);
  });

  test('three GBDT seeds: the served model is the average of the three single-seed models, saved and loaded; the spread is of their metrics', async () => {
    const gbdt = { maxRounds: 40 };
    const avgDir = tempDir();
    const r = await train({ datasetPath: dataset, outDir: avgDir, seed: 5, seeds: 3, family: 'gbdt', gbdt, calibrate: false });
    const singleDirs = [tempDir(), tempDir(), tempDir()];
    const singles = [];
    for (const [i, seed] of [5, 6, 7].entries()) singles.push(await train({ datasetPath: dataset, outDir: singleDirs[i] as string, seed, family: 'gbdt', gbdt, calibrate: false }));
    assert.ok(r.seeds !== null);
    assert.equal(r.seeds.n, 3);
    assert.deepEqual(r.seeds.seeds, [5, 6, 7]);
    // each member is the model a plain single-seed train would fit
    assert.deepEqual(r.seeds.members.map((m) => m.logLoss), singles.map((s) => s.uncalibratedMetrics.logLoss));
    assert.deepEqual(r.seeds.logLoss, spread(singles.map((s) => s.uncalibratedMetrics.logLoss)));
    assert.ok(r.seeds.auc.sd > 0, 'row and column subsampling make the seeds differ');
    assert.ok(r.seeds.auc.min <= r.seeds.auc.mean && r.seeds.auc.mean <= r.seeds.auc.max);
    for (let i = 0; i < 3; i++) assert.ok(existsSync(join(avgDir, `seed-${i}`, 'params.json')));
    assert.deepEqual(r.manifest.seedAverage, { seeds: [5, 6, 7] });

    // loaded through the model contract, it predicts the mean of the three loaded singles
    const avg = await loadPredictor(avgDir);
    const loaded = await Promise.all(singleDirs.map((d) => loadPredictor(d)));
    const ds = await readDataset(dataset);
    for (let row = 0; row < 50; row++) {
      const x = ds.features.subarray(row * ds.dim, (row + 1) * ds.dim);
      const p = avg.predict(x);
      const q = loaded.map((l) => l.predict(x));
      for (let k = 0; k < 3; k++) assert.equal(p[k], ((q[0]![k] as number) + (q[1]![k] as number) + (q[2]![k] as number)) / 3);
    }
    // the averaged model is judged as one model: its test log loss is the average's
    const report = trainReport(r);
    assert.deepEqual(Object.keys(report.seeds as object), ['n', 'seeds', 'auc', 'logLoss', 'accuracy', 'members']);
    assert.ok(r.metrics.logLoss <= r.seeds.logLoss.max, `average ${r.metrics.logLoss} vs worst member ${r.seeds.logLoss.max}`);
  });

  test('one seed (the default) writes no seed members and reports seeds: null', async () => {
    const dir = tempDir();
    const r = await train({ datasetPath: dataset, outDir: dir, seed: 5, family: 'logistic' });
    assert.equal(r.seeds, null);
    assert.equal(r.manifest.seedAverage, undefined);
    assert.equal(trainReport(r).seeds, null);
  });
});
