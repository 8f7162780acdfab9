import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelError } from '../../../model/errors.ts';
import { crossValidate, type FitFn, type TrainingData } from '../../../model/evaluation/cross-validate.ts';
import { STANDARD_METRICS } from '../../../model/evaluation/metric-intervals.ts';
import { planFolds, type FoldPlan } from '../../../model/evaluation/purged-folds.ts';
import { Rng } from '../../../processors/math/rng.ts';

const STEP = 300_000; // 5-minute bars
const T0 = 1_700_000_000_000;

/** barEnd column of `bars` bars x `symbols` rows each, sorted like the dataset. */
function barEnds(bars: number, symbols: number): Float64Array {
  const out = new Float64Array(bars * symbols);
  for (let b = 0; b < bars; b++) for (let s = 0; s < symbols; s++) out[b * symbols + s] = T0 + b * STEP;
  return out;
}

const times = (t: ArrayLike<number>, idx: Uint32Array): number[] => Array.from(idx, (i) => t[i] as number);

/** No training row's label window [t, t + H] overlaps a test row's label window. */
function assertNoOverlap(t: Float64Array, plan: FoldPlan, H: number): void {
  for (const fold of plan.folds) {
    const test = times(t, fold.test);
    const lo = Math.min(...test);
    const hi = Math.max(...test) + H;
    for (const tr of times(t, fold.train)) assert.ok(tr + H < lo || tr > hi, `train row at ${tr} overlaps test labels [${lo}, ${hi}]`);
  }
}

describe('planFolds', () => {
  const H = 6 * STEP;
  const t = barEnds(600, 3);

  test('purged k-fold: every CV row is tested exactly once, no train label overlaps a test label, embargo after each fold', () => {
    const plan = planFolds(t, { scheme: 'purged-kfold', folds: 5, horizonMs: H, embargoMs: 4 * STEP });
    assert.equal(plan.folds.length, 5);
    assertNoOverlap(t, plan, H);
    const tested = plan.folds.flatMap((f) => [...f.test]);
    assert.equal(new Set(tested).size, tested.length);
    const holdout = new Set(plan.holdout);
    for (const i of tested) assert.ok(!holdout.has(i));
    // CV rows + holdout + dropped around the holdout = all rows
    assert.equal(tested.length + plan.holdout.length + plan.purgedBeforeHoldout + plan.embargoedHoldout, t.length);
    for (const [f, fold] of plan.folds.entries()) {
      // inner folds lose the 6 bars before them and the 6 after them (purge: [start - H, start) and
      // (end, end + H]) and 4 more bars after (embargo: (end + H, end + H + E]), 3 rows each
      if (f > 0 && f < 4) {
        assert.equal(fold.purged, (6 + 6) * 3, `fold ${f} purged`);
        assert.equal(fold.embargoed, 4 * 3, `fold ${f} embargoed`);
      }
      for (const tr of times(t, fold.train)) assert.ok(tr < fold.testStart || tr > fold.testEnd + H + 4 * STEP);
    }
  });

  test('holdout is the last 15 %, untouched: no CV row labels reach it and its first embargo is dropped', () => {
    const plan = planFolds(t, { folds: 5, horizonMs: H, embargoMs: H });
    assert.equal(plan.holdoutStart, t[Math.floor(t.length * 0.85)]);
    const cvMax = Math.max(...plan.folds.flatMap((f) => [...times(t, f.train), ...times(t, f.test)]));
    assert.ok(cvMax + H < plan.holdoutStart);
    assert.ok(Math.min(...times(t, plan.holdout)) >= plan.holdoutStart + H);
  });

  test('walk-forward: expanding window, training always before the test block', () => {
    const plan = planFolds(t, { scheme: 'walk-forward', folds: 4, horizonMs: H });
    assert.equal(plan.folds.length, 4);
    assertNoOverlap(t, plan, H);
    let prevTrain = 0;
    for (const fold of plan.folds) {
      assert.ok(Math.max(...times(t, fold.train)) + H < fold.testStart);
      assert.ok(fold.train.length > prevTrain, 'the window expands');
      assert.equal(fold.embargoed, 0);
      prevTrain = fold.train.length;
    }
  });

  test('one bar is never cut in two', () => {
    const plan = planFolds(t, { folds: 7, horizonMs: 0, embargoMs: 0 });
    for (const f of plan.folds) {
      const set = new Set(times(t, f.test));
      for (const i of f.train) assert.ok(!set.has(t[i] as number));
    }
  });

  test('bad options are rejected with a reason', () => {
    const invalid = (re: RegExp) => (e: unknown) => e instanceof ModelError && e.code === 'SPLIT_INVALID' && re.test(e.message);
    assert.throws(() => planFolds(t, { folds: 1, horizonMs: H }), invalid(/folds must be an integer >= 2/));
    assert.throws(() => planFolds(t, { folds: 5, horizonMs: H, holdoutFraction: 1 }), invalid(/holdoutFraction/));
    assert.throws(() => planFolds(Float64Array.from([2, 1]), { horizonMs: 0 }), invalid(/non-decreasing/));
    assert.throws(() => planFolds(barEnds(4, 1), { folds: 5, horizonMs: 0 }), (e: unknown) => e instanceof ModelError && e.code === 'DATASET_TOO_SHORT' && /empty|no training rows/.test(e.message));
  });
});

/**
 * The proof that purging matters. A driftless random walk (a martingale: nothing is predictable),
 * labels UP/DOWN = sign of the move over the next H bars, so neighbouring labels share most of
 * their window. The only feature is time, and the model is k-nearest-neighbours on time: it can
 * only "predict" by copying the labels of training rows next to the test row. Without purging, the
 * test rows next to a fold boundary find training rows whose label windows overlap theirs and score
 * above chance; with purging, every training row's window is disjoint from the test windows and the
 * score is chance.
 */
describe('purged cross-validation on a martingale', () => {
  const H_BARS = 20;
  const N = 2000;
  const SEEDS = 30;

  function martingale(seed: number): TrainingData {
    const rng = new Rng(seed);
    const price = new Float64Array(N + H_BARS);
    for (let i = 1; i < price.length; i++) price[i] = (price[i - 1] as number) + rng.normal();
    const barEnd = barEnds(N, 1);
    const labels = Uint8Array.from({ length: N }, (_, i) => ((price[i + H_BARS] as number) > (price[i] as number) ? 0 : 2));
    return { features: Float64Array.from(barEnd), dim: 1, labels, barEnd };
  }

  /** k-nearest-neighbours on the single feature (time): probabilities = neighbour label shares. */
  const knnOnTime: FitFn = (data, rows) => {
    const xs = Float64Array.from(rows, (r) => data.features[r] as number);
    const ys = Uint8Array.from(rows, (r) => data.labels[r] as number);
    const k = 5;
    return {
      predict(row) {
        const x = row[0] as number;
        let lo = 0;
        let hi = xs.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((xs[mid] as number) < x) lo = mid + 1;
          else hi = mid;
        }
        let l = lo - 1;
        let r = lo;
        let up = 0;
        for (let taken = 0; taken < k; taken++) {
          const pickLeft = r >= xs.length || (l >= 0 && x - (xs[l] as number) <= (xs[r] as number) - x);
          const j = pickLeft ? l-- : r++;
          if (ys[j] === 0) up++;
        }
        const pUp = (up + 0.5) / (k + 1);
        return [pUp, 0, 1 - pUp];
      },
    };
  };

  async function meanAccuracy(horizonBarsForPurge: number): Promise<{ mean: number; se: number }> {
    const acc: number[] = [];
    for (let s = 0; s < SEEDS; s++) {
      const data = martingale(1000 + s);
      const plan = planFolds(data.barEnd, { folds: 10, horizonMs: horizonBarsForPurge * STEP, embargoMs: 0 });
      const cv = await crossValidate(data, plan, knnOnTime, { metrics: { accuracy: STANDARD_METRICS['accuracy']! }, seed: 1, bootstrap: { blockLength: H_BARS, replicates: 1 } });
      acc.push(cv.summary['accuracy']!.mean!);
    }
    const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
    const sd = Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / (acc.length - 1));
    return { mean, se: sd / Math.sqrt(acc.length) };
  }

  test('without purging the model beats chance; with purging it does not', async (t) => {
    const leaky = await meanAccuracy(0);
    const purged = await meanAccuracy(H_BARS);
    t.diagnostic(`leaky ${leaky.mean.toFixed(4)} ± ${leaky.se.toFixed(4)}, purged ${purged.mean.toFixed(4)} ± ${purged.se.toFixed(4)}`);
    // Expected leak: about 1/5 of the test rows lie within H of a boundary and agree with their
    // neighbour's label with probability 1/2 + asin(overlap)/pi (0.68 on average), so about 0.53.
    assert.ok(leaky.mean > 0.5 + 4 * leaky.se, `leaky CV accuracy ${leaky.mean.toFixed(4)} ± ${leaky.se.toFixed(4)} should be above chance`);
    assert.ok(Math.abs(purged.mean - 0.5) < 3 * purged.se, `purged CV accuracy ${purged.mean.toFixed(4)} ± ${purged.se.toFixed(4)} should be chance`);
    assert.ok(leaky.mean - purged.mean > 0.015, `leak ${(leaky.mean - purged.mean).toFixed(4)}`);
  });
});
