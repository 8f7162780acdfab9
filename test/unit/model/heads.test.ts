import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { trainReport } from '../../../cli/commands/train.ts';
import { gradientTimesInput, saabas, saabasBias } from '../../../model/attribution.ts';
import { DenseStack } from '../../../model/dense-stack.ts';
import { GbdtModel, type GbdtParams } from '../../../model/gbdt-model.ts';
import { evaluateHeads, fitHeads, HeadsModel, pinball, quantileOf } from '../../../model/heads.ts';
import { permutationImportance } from '../../../model/permutation-importance.ts';
import { loadPredictor } from '../../../model/predictor.ts';
import { train } from '../../../model/train.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { topContributions } from '../../../processors/signal/top-contributions.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

/** Standard normal quantiles (textbook values, e.g. Abramowitz and Stegun table 26.5): z(0.1) = -z(0.9). */
const Z90 = 1.2815515655446004;

/**
 * Known noise: y = 0.003 x0 - 0.002 x1 + 0.005 (1 + u) e, x ~ N(0, 1), u ~ U(0, 1), e ~ N(0, 1).
 * The conditional tau-quantile is linear in the features: 0.003 x0 - 0.002 x1 + 0.005 z_tau (1 + u),
 * so a linear quantile regression can be exact; the conditional mean has no u term.
 */
function knownNoise(n: number, seed: number): { features: Float64Array; y: Float64Array; rows: Uint32Array } {
  const rng = new Rng(seed);
  const dim = 3;
  const features = new Float64Array(n * dim);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x0 = rng.normal();
    const x1 = rng.normal();
    const u = rng.next();
    features.set([x0, x1, u], i * dim);
    y[i] = 0.003 * x0 - 0.002 * x1 + 0.005 * (1 + u) * rng.normal();
  }
  return { features, y, rows: Uint32Array.from({ length: n }, (_, i) => i) };
}

const standardizationOf = (features: Float64Array, dim: number, n: number) => {
  const mean = Array.from({ length: dim }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += features[i * dim + j] as number;
    return s / n;
  });
  const std = mean.map((m, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += ((features[i * dim + j] as number) - m) ** 2;
    return Math.sqrt(s / n);
  });
  return { mean, std };
};

describe('forward-return heads', () => {
  const fit = knownNoise(20_000, 3);
  const fresh = knownNoise(20_000, 4);
  const s = standardizationOf(fit.features, 3, 20_000);
  const heads = fitHeads(fit.features, 3, fit.y, fit.rows, s);
  const model = new HeadsModel(heads.params, s);

  test('quantiles are ordered on every row and cover about their nominal rates on fresh rows', () => {
    const covered = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) {
      const h = model.predict(fresh.features.subarray(i * 3, i * 3 + 3));
      assert.ok(h.q10 <= h.q50 && h.q50 <= h.q90, `row ${i}: ${h.q10} ${h.q50} ${h.q90}`);
      const y = fresh.y[i] as number;
      if (y <= h.q10) covered[0]!++;
      if (y <= h.q50) covered[1]!++;
      if (y <= h.q90) covered[2]!++;
    }
    // Binomial sd at n = 20,000 is at most 0.0035; 0.015 allows for the smoothing and estimation error.
    for (const [q, nominal] of [[0, 0.1], [1, 0.5], [2, 0.9]] as const) {
      assert.ok(Math.abs(covered[q]! / 20_000 - nominal) < 0.015, `coverage ${covered[q]! / 20_000} vs ${nominal}`);
    }
  });

  test('the fitted slopes are the known ones (raw units: kernel / std)', () => {
    const slope = (j: number, k: number) => (heads.params.kernel[j * 4 + k] as number) / (s.std[j] as number);
    // Mean head: 0.003, -0.002, 0 on u.
    assert.ok(Math.abs(slope(0, 0) - 0.003) < 2e-4 && Math.abs(slope(1, 0) + 0.002) < 2e-4 && Math.abs(slope(2, 0)) < 6e-4);
    // q90 on u: 0.005 * z(0.9); q10: the negative; q50: 0.
    assert.ok(Math.abs(slope(2, 3) - 0.005 * Z90) < 1.2e-3, `q90 u slope ${slope(2, 3)}`);
    assert.ok(Math.abs(slope(2, 1) + 0.005 * Z90) < 1.2e-3, `q10 u slope ${slope(2, 1)}`);
    assert.ok(Math.abs(slope(2, 2)) < 1e-3, `q50 u slope ${slope(2, 2)}`);
  });

  test('the report beats the train-split baselines where the features carry information', () => {
    const all = new Float64Array(40_000 * 3);
    all.set(fit.features);
    all.set(fresh.features, 60_000);
    const y = new Float64Array(40_000);
    y.set(fit.y);
    y.set(fresh.y, 20_000);
    const r = evaluateHeads(model, all, 3, y, fit.rows, Uint32Array.from({ length: 20_000 }, (_, i) => 20_000 + i));
    assert.equal(r.n, 20_000);
    assert.ok(r.expectedReturn.mae < r.expectedReturn.baselineMae);
    assert.ok(r.quantiles.pinball < r.quantiles.baselinePinball);
    assert.ok(Math.abs(r.quantiles.coverage10 - 0.1) < 0.015 && Math.abs(r.quantiles.coverage90 - 0.9) < 0.015);
  });

  test('pinball and the empirical quantile', () => {
    assert.equal(pinball(2, 0.9), 1.8);
    assert.ok(Math.abs(pinball(-2, 0.9) - 0.2) < 1e-15);
    assert.equal(quantileOf([1, 2, 3, 4, 5], 0.5), 3);
    assert.equal(quantileOf([1, 2, 3, 4], 0.5), 2.5); // numpy.quantile([1,2,3,4], 0.5) = 2.5 (linear, type 7)
  });
});

describe('contributions', () => {
  test('MLP gradient x input: the analytic gradient matches central differences of the centered logit', () => {
    const rng = new Rng(5);
    const rand = (n: number) => Float64Array.from({ length: n }, () => rng.normal() * 0.7);
    const stack = new DenseStack([
      { inDim: 4, outDim: 5, activation: 'relu', kernel: rand(20), bias: rand(5) },
      { inDim: 5, outDim: 3, activation: 'tanh', kernel: rand(15), bias: rand(3) },
      { inDim: 3, outDim: 3, activation: 'softmax', kernel: rand(9), bias: rand(3) },
    ]);
    const s = { mean: [0.1, -0.2, 0.3, 0], std: [1, 2, 0.5, 1] };
    const explain = gradientTimesInput(stack, s);
    const centeredLogit = (z: Float64Array, c: number) => {
      const p = stack.forward(z);
      const logs = Array.from(p, Math.log);
      return (logs[c] as number) - logs.reduce((a, b) => a + b, 0) / 3;
    };
    for (let trial = 0; trial < 5; trial++) {
      const row = rand(4);
      const z = Float64Array.from(row, (x, j) => (x - (s.mean[j] as number)) / (s.std[j] as number));
      for (let c = 0; c < 3; c++) {
        const got = Array.from(explain(row, c));
        for (let j = 0; j < 4; j++) {
          const h = 1e-6;
          const up = Float64Array.from(z);
          const dn = Float64Array.from(z);
          up[j] = (up[j] as number) + h;
          dn[j] = (dn[j] as number) - h;
          const grad = (centeredLogit(up, c) - centeredLogit(dn, c)) / (2 * h);
          assert.ok(Math.abs((got[j] as number) - grad * (z[j] as number)) < 1e-6, `trial ${trial} class ${c} feature ${j}`);
        }
      }
    }
  });

  test('Saabas contributions sum to the centered margin minus the bias, per class', () => {
    const tree = (f: number, t: number, v: number[]) => ({ feature: [f, -1, -1], threshold: [t, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: v });
    const params: GbdtParams = {
      inputDim: 2,
      baseScore: [-1, -0.5, -1.2],
      rounds: [
        [tree(0, 0.5, [0.1, -0.3, 0.4]), tree(1, 0, [0, 0.2, -0.2]), tree(0, -1, [-0.05, 0.1, -0.1])],
        [tree(1, 1, [0.02, 0.05, -0.01]), tree(0, 0, [0.03, -0.02, 0.07]), tree(1, -0.5, [0, 0.3, -0.4])],
      ],
    };
    const model = new GbdtModel(params);
    const explain = saabas(params);
    for (const row of [[0, 0], [1, 2], [-2, -1], [0.5, 1]]) {
      const m = Array.from(model.margins(row));
      for (let c = 0; c < 3; c++) {
        const sum = Array.from(explain(row, c)).reduce((a, b) => a + b, 0);
        const centered = (m[c] as number) - m.reduce((a, b) => a + b, 0) / 3;
        assert.ok(Math.abs(sum - (centered - saabasBias(params, c))) < 1e-12, `row ${row.join(',')} class ${c}`);
      }
    }
  });

  test('top contributions: by absolute value, ties by feature name, zeros and non-finite left out', () => {
    assert.deepEqual(topContributions([0.1, -0.5, 0.5, 0, Number.NaN, 0.2], ['a', 'z', 'b', 'c', 'd', 'e']), [
      { feature: 'b', value: 0.5 },
      { feature: 'z', value: -0.5 },
      { feature: 'e', value: 0.2 },
    ]);
    assert.deepEqual(topContributions([0, 0], ['a', 'b']), []);
  });
});

describe('permutation importance', () => {
  test('shuffling a feature the label depends on costs more log loss than shuffling noise; seeded', () => {
    const rng = new Rng(9);
    const n = 3000;
    const features = new Float64Array(n * 2);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const signal = rng.normal();
      features[i * 2] = rng.normal();
      features[i * 2 + 1] = signal;
      labels[i] = signal > 0.5 ? 0 : signal < -0.5 ? 2 : 1;
    }
    // A model that reads only feature 1.
    const predict = (row: Float64Array) => {
      const x = row[1] as number;
      const up = 1 / (1 + Math.exp(-4 * (x - 0.5)));
      const down = 1 / (1 + Math.exp(4 * (x + 0.5)));
      return [up * 0.98 + 0.01, Math.max(1 - up - down, 0) * 0.98 + 0.01, down * 0.98 + 0.01];
    };
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    const a = permutationImportance(predict, features, 2, labels, rows, ['noise', 'signal'], { seed: 1 });
    const b = permutationImportance(predict, features, 2, labels, rows, ['noise', 'signal'], { seed: 1 });
    assert.deepEqual(a, b);
    assert.deepEqual(a.features.map((f) => f.feature), ['signal', 'noise']);
    assert.ok((a.features[0]?.logLossIncrease as number) > 0.3);
    assert.equal(a.features[1]?.logLossIncrease, 0, 'the model never reads the noise column');
  });
});

describe('train: heads, contributions and importance in the model', () => {
  const linear = writeSyntheticDataset({ bars: 1500, kind: 'linear', seed: 11 });

  test('mlp: the saved model explains by gradient x input (checked by central differences on the loaded scorer)', async () => {
    const dir = tempDir();
    await train({ datasetPath: linear, outDir: dir, seed: 1, family: 'mlp', epochs: 2 });
    const p = await loadPredictor(dir);
    assert.equal(p.manifest.contributions?.method, 'gradient-x-input');
    const row = Float64Array.from([0.3, -1, 0.2, 0.8, -0.4, 1.1]);
    const centered = (x: Float64Array, c: number) => {
      const probs = p.model.score(x);
      return Math.log(probs[c] as number) - (Math.log(probs[0] as number) + Math.log(probs[1] as number) + Math.log(probs[2] as number)) / 3;
    };
    for (let c = 0; c < 3; c++) {
      const got = Array.from(p.contributions(row, c) as Float64Array);
      for (let j = 0; j < 6; j++) {
        const h = 1e-6;
        const up = Float64Array.from(row);
        const dn = Float64Array.from(row);
        up[j] = (up[j] as number) + h;
        dn[j] = (dn[j] as number) - h;
        // d/dz_j * z_j = d/dx_j * std_j * (x_j - mean_j) / std_j.
        const expected = ((centered(up, c) - centered(dn, c)) / (2 * h)) * ((row[j] as number) - (p.manifest.standardization.mean[j] as number));
        assert.ok(Math.abs((got[j] as number) - expected) < 1e-6, `class ${c} feature ${j}: ${got[j]} vs ${expected}`);
      }
    }
  });

  for (const family of ['logistic', 'gbdt'] as const) {
    test(`${family}: same seed, same bytes; heads and importance reported beside baselines; contributions from the saved model`, async () => {
      const [a, b] = [tempDir(), tempDir()];
      const ra = await train({ datasetPath: linear, outDir: a, seed: 1, family });
      const rb = await train({ datasetPath: linear, outDir: b, seed: 1, family });
      assert.equal(ra.modelId, rb.modelId);
      for (const f of ['params.json', 'manifest.json']) assert.deepEqual(readFileSync(join(a, f)), readFileSync(join(b, f)), f);
      const report = trainReport(ra);
      const heads = report.heads as typeof ra.heads;
      assert.deepEqual(Object.keys(heads.expectedReturn), ['mae', 'baselineMae']);
      // fwdReturn = s / 100 with s linear in the features plus noise: the heads must beat the baselines.
      assert.ok(heads.expectedReturn.mae < heads.expectedReturn.baselineMae);
      assert.ok(heads.quantiles.pinball < heads.quantiles.baselinePinball);
      assert.ok(Math.abs(heads.quantiles.coverage10 - 0.1) < 0.05 && Math.abs(heads.quantiles.coverage90 - 0.9) < 0.05, JSON.stringify(heads.quantiles));
      const importance = report.importance as typeof ra.importance;
      assert.equal(importance.length, 6);
      // w_j = (j+1)/6: f5 carries the most signal.
      assert.equal(importance[0]?.feature, 'f5');
      assert.equal(ra.manifest.importance?.features.length, 6);

      const p = await loadPredictor(a);
      assert.equal(p.manifest.contributions?.method, family === 'logistic' ? 'linear-exact' : 'saabas');
      const row = Float64Array.from([0.3, -1, 0.2, 0.8, -0.4, 1.1]);
      const h = p.heads(row);
      assert.ok(h !== null && h.q10 <= h.q50 && h.q50 <= h.q90);
      const centered = (probs: ArrayLike<number>, c: number) => Math.log(probs[c] as number) - (Math.log(probs[0] as number) + Math.log(probs[1] as number) + Math.log(probs[2] as number)) / 3;
      for (let c = 0; c < 3; c++) {
        const sum = Array.from(p.contributions(row, c) as Float64Array).reduce((x, y) => x + y, 0);
        if (family === 'logistic') {
          // Exact: the contributions sum to the centered logit at x minus the one at the train mean.
          const atX = centered(p.model.score(row), c);
          const atMean = centered(p.model.score(Float64Array.from(p.manifest.standardization.mean)), c);
          assert.ok(Math.abs(sum - (atX - atMean)) < 1e-9, `class ${c}: ${sum} vs ${atX - atMean}`);
        } else {
          const params = JSON.parse(readFileSync(join(a, 'params.json'), 'utf8')) as GbdtParams;
          assert.ok(Math.abs(sum - (centered(p.model.score(row), c) - saabasBias(params, c))) < 1e-9);
        }
      }
    });
  }
});
