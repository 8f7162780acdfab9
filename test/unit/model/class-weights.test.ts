import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fitFamily, type FamilyOptions } from '../../../model/candidates.ts';
import { balancedClassWeights, classWeightsFor } from '../../../model/class-weights.ts';
import { scoreRows, type FitInput } from '../../../model/family.ts';
import { meanLogLoss } from '../../../model/metrics.ts';
import { chronologicalSplit } from '../../../model/split.ts';
import { fitStandardization } from '../../../model/standardization.ts';
import { train } from '../../../model/train.ts';
import { BAR_MS, martingale } from './martingale.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

const OPTIONS: FamilyOptions = { backend: 'cpu', epochs: 3, batchSize: 128, patience: 2, classWeight: 'balanced' };

/** An uninformative, unbalanced dataset (FLAT about 60 %) split tickflow's way. */
const m = martingale({ rows: 2000, seed: 21 });
const split = chronologicalSplit(m.barEnd, { horizonMs: m.horizon * BAR_MS, embargoMs: m.horizon * BAR_MS });
const input: FitInput = {
  features: m.features,
  dim: m.dim,
  labels: m.labels,
  train: split.train,
  validation: split.validation,
  standardization: fitStandardization(m.features, m.dim, split.train),
  seed: 1,
};
const yVal = Uint8Array.from(split.validation, (r) => m.labels[r] as number);

/** Mean predicted probability per class over the given rows, each row weighted by its class weight. */
function weightedMeanProbs(probs: Float64Array, labels: Uint8Array, w: readonly number[]): number[] {
  const out = [0, 0, 0];
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const wi = w[labels[i] as number] as number;
    total += wi;
    for (let k = 0; k < 3; k++) out[k] = (out[k] as number) + wi * (probs[i * 3 + k] as number);
  }
  return out.map((v) => v / total);
}

describe('class weights', () => {
  test("balanced is scikit-learn's n / (k n_c), over the given rows only", () => {
    // scikit-learn compute_class_weight('balanced'): n_samples / (n_classes * np.bincount(y)).
    // Rows 0..9 hold 6 UP, 3 FLAT, 1 DOWN: 10/18, 10/9, 10/3.
    const labels = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2]);
    const rows = Uint32Array.from({ length: 10 }, (_, i) => i);
    const w = balancedClassWeights(labels, rows);
    [10 / 18, 10 / 9, 10 / 3].forEach((v, k) => assert.ok(Math.abs((w[k] as number) - v) < 1e-15, `class ${k}: ${w[k]} vs ${v}`));
    // Rows outside `rows` (four more DOWN labels) do not count; a class absent from the rows gets 0.
    assert.deepEqual(balancedClassWeights(labels, Uint32Array.from([0, 1, 6])), [3 / 4, 3 / 2, 0]);
    assert.equal(classWeightsFor('none', labels, rows), null);
  });

  test('logistic: the weighted fit balances the train rows, and its validation log loss is unweighted', async () => {
    const w = balancedClassWeights(m.labels, split.train);
    const c = await fitFamily('logistic', input, OPTIONS);
    const yTrain = Uint8Array.from(split.train, (r) => m.labels[r] as number);
    const probs = scoreRows(c.model, m.features, split.train);
    // The unpenalized intercepts' score equations of the weighted likelihood: sum_i w_i (p_ik - y_ik) = 0,
    // so the weighted mean probability of each class equals its weighted share, 1/3 under balanced weights.
    for (const p of weightedMeanProbs(probs, yTrain, w)) assert.ok(Math.abs(p - 1 / 3) < 1e-4, `weighted mean probability ${p}`);
    const unweighted = await fitFamily('logistic', input, { ...OPTIONS, classWeight: 'none' });
    const pu = scoreRows(unweighted.model, m.features, split.train);
    const meanFlat = (p: Float64Array): number => Array.from({ length: p.length / 3 }, (_, i) => p[i * 3 + 1] as number).reduce((a, b) => a + b, 0) / (p.length / 3);
    assert.ok(meanFlat(probs) < meanFlat(pu) - 0.15, `balanced mean P(FLAT) ${meanFlat(probs)} vs unweighted ${meanFlat(pu)}`);
    assert.ok(Math.abs(c.validationLogLoss - meanLogLoss(scoreRows(c.model, m.features, split.validation), yVal)) < 1e-12);
    assert.equal(c.validationProbs.length, split.validation.length * 3);
  });

  for (const family of ['gbdt', 'mlp'] as const) {
    test(`${family}: weighting moves probability to the minority classes; validation rows are scored unweighted`, async () => {
      const c = await fitFamily(family, input, OPTIONS);
      const u = await fitFamily(family, input, { ...OPTIONS, classWeight: 'none' });
      const meanFlat = (p: Float64Array): number => Array.from({ length: p.length / 3 }, (_, i) => p[i * 3 + 1] as number).reduce((a, b) => a + b, 0) / (p.length / 3);
      const pw = scoreRows(c.model, m.features, split.train);
      const pu = scoreRows(u.model, m.features, split.train);
      assert.ok(meanFlat(pw) < meanFlat(pu) - 0.05, `balanced mean P(FLAT) ${meanFlat(pw)} vs unweighted ${meanFlat(pu)}`);
      assert.ok(Math.abs(c.validationLogLoss - meanLogLoss(scoreRows(c.model, m.features, split.validation), yVal)) < 1e-6);
      c.dispose();
      u.dispose();
    });
  }

  test('train --class-weight balanced: weights come from the train split; changing test-split labels leaves them and the fit unchanged', async () => {
    const path = writeSyntheticDataset({ bars: 900, kind: 'linear', seed: 4 });
    const run = async (p: string) => train({ datasetPath: p, outDir: tempDir(), seed: 1, family: 'gbdt', classWeight: 'balanced', cvFolds: 0 });
    const a = await run(path);
    const cw = a.manifest.classWeight;
    assert.ok(cw !== undefined && cw.method === 'balanced');
    // The train split's own counts, independently: n / (3 n_c).
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const counts = [0, 0, 0];
    const trainFrom = a.manifest.split.train.firstBarEnd;
    const trainTo = a.manifest.split.train.lastBarEnd;
    const byLabel: Record<string, number> = { UP: 0, FLAT: 1, DOWN: 2 };
    let trainRows = 0;
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const t = Number(cells[1]);
      if (t >= trainFrom && t <= trainTo) {
        counts[byLabel[cells.at(-1) as string] as number]! += 1;
        trainRows++;
      }
    }
    assert.equal(trainRows, a.manifest.split.train.rows);
    counts.forEach((n, k) => assert.ok(Math.abs((cw.trainWeights[k] as number) - trainRows / (3 * n)) < 1e-12, `class ${k}`));

    // Relabel every test-split row DOWN: the weights, and the model fitted on train + validation, do not move.
    const testFrom = a.manifest.split.test.firstBarEnd;
    const relabelled = [lines[0] as string, ...lines.slice(1).map((line) => (Number(line.split(',')[1]) >= testFrom ? line.replace(/,[A-Z]+$/, ',DOWN') : line))];
    const other = join(tempDir(), 'relabelled.csv');
    writeFileSync(other, `${relabelled.join('\n')}\n`);
    const b = await run(other);
    assert.deepEqual(b.manifest.classWeight, cw);
    assert.deepEqual(b.manifest.standardization, a.manifest.standardization);
    assert.equal(b.candidates[0]?.validationLogLoss, a.candidates[0]?.validationLogLoss);
    assert.notDeepEqual(b.metrics, a.metrics);
  });

  test('the default (none) writes no classWeight and fits as before', async () => {
    const path = writeSyntheticDataset({ bars: 600, kind: 'linear', seed: 5 });
    const a = await train({ datasetPath: path, outDir: tempDir(), seed: 1, family: 'logistic', cvFolds: 0 });
    const b = await train({ datasetPath: path, outDir: tempDir(), seed: 1, family: 'logistic', cvFolds: 0, classWeight: 'none' });
    assert.equal(a.manifest.classWeight, undefined);
    assert.equal(a.modelId, b.modelId);
  });
});
