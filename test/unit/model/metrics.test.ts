import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { argmax, baselineMetrics, computeMetrics } from '../../../model/metrics.ts';

/*
 * Hand-worked example (CLASSES order UP, FLAT, DOWN):
 *   row  label  probs            predicted
 *   1    0      0.7 0.2 0.1      0
 *   2    0      0.2 0.5 0.3      1
 *   3    1      0.1 0.8 0.1      1
 *   4    1      0.6 0.3 0.1      0
 *   5    2      0.2 0.2 0.6      2
 *   6    2      0.3 0.3 0.4      2
 * confusion[true][pred] = [[1,1,0],[1,1,0],[0,0,2]]; accuracy 4/6;
 * precision = recall = [1/2, 1/2, 1].
 * One-vs-rest AUC by counting (positive, negative) pairs, ties 1/2:
 *   UP:   positives 0.7, 0.2 vs negatives 0.1 0.6 0.2 0.3 -> 4 + (1 + 0.5) = 5.5 / 8 = 0.6875
 *   FLAT: positives 0.8, 0.3 vs negatives 0.2 0.5 0.2 0.3 -> 4 + (2 + 0.5) = 6.5 / 8 = 0.8125
 *   DOWN: positives 0.6, 0.4 vs negatives 0.1 0.3 0.1 0.1 -> 8 / 8 = 1
 *   macro = 2.5 / 3.
 * Log loss = -(ln .7 + ln .2 + ln .8 + ln .3 + ln .6 + ln .4) / 6 = 4.820347 / 6 = 0.803391.
 */
const probs = Float64Array.from([0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.8, 0.1, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6, 0.3, 0.3, 0.4]);
const labels = [0, 0, 1, 1, 2, 2];

describe('computeMetrics', () => {
  test('matches the hand-computed confusion matrix and scores', () => {
    const m = computeMetrics(probs, labels);
    assert.equal(m.n, 6);
    assert.deepEqual(m.confusion, [
      [1, 1, 0],
      [1, 1, 0],
      [0, 0, 2],
    ]);
    assert.deepEqual(m.classCounts, [2, 2, 2]);
    assert.equal(m.accuracy, 4 / 6);
    assert.deepEqual(m.precision, [0.5, 0.5, 1]);
    assert.deepEqual(m.recall, [0.5, 0.5, 1]);
    assert.deepEqual(m.auc, [0.6875, 0.8125, 1]);
    assert.ok(Math.abs((m.macroAuc as number) - 2.5 / 3) < 1e-12);
    assert.equal(Number(m.logLoss.toFixed(6)), 0.803391);
  });

  test('precision of a never-predicted class and recall/AUC of an absent class are null', () => {
    // every row predicts UP; no DOWN label
    const p = Float64Array.from([0.6, 0.3, 0.1, 0.5, 0.4, 0.1]);
    const m = computeMetrics(p, [0, 1]);
    assert.deepEqual(m.precision, [0.5, null, null]);
    assert.deepEqual(m.recall, [1, 0, null]);
    assert.equal(m.auc[2], null);
  });

  test('ties in argmax go to the lowest class index', () => {
    assert.equal(argmax([0.4, 0.4, 0.2]), 0);
    assert.equal(argmax([0.2, 0.4, 0.4]), 1);
  });

  test('log loss clips probabilities of 0 instead of returning Infinity', () => {
    const m = computeMetrics(Float64Array.from([1, 0, 0]), [1]);
    assert.equal(m.logLoss, -Math.log(1e-15));
  });
});

describe('baselineMetrics', () => {
  test('predicts the train majority with the train frequencies: AUC exactly 0.5', () => {
    // train frequencies [0.6, 0.2, 0.2]; every evaluated row is predicted UP
    const m = baselineMetrics([0, 0, 0, 1, 2], [0, 1, 2, 2]);
    assert.deepEqual(m.confusion, [
      [1, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
    ]);
    assert.equal(m.accuracy, 0.25);
    assert.deepEqual(m.auc, [0.5, 0.5, 0.5]);
    assert.equal(m.macroAuc, 0.5);
    assert.ok(Math.abs(m.logLoss - -(Math.log(0.6) + 3 * Math.log(0.2)) / 4) < 1e-12);
  });
});
