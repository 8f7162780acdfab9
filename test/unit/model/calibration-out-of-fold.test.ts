import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { calibrateAll, fitCalibration, fitCalibrationOutOfFold, fitIsotonic, fitTemperature } from '../../../model/calibration.ts';
import { meanLogLoss, reliability } from '../../../model/metrics.ts';
import { miscalibrated } from '../../helpers/miscalibrated.ts';


/** Five contiguous folds of n positions. */
const contiguousFolds = (n: number, k: number): Uint32Array[] =>
  Array.from({ length: k }, (_, f) => Uint32Array.from({ length: Math.floor(((f + 1) * n) / k) - Math.floor((f * n) / k) }, (_, i) => Math.floor((f * n) / k) + i));

describe('calibration on out-of-fold predictions (D108)', () => {
  test('the selection loss is each method fitted on the other folds and scored on the fold, summed over folds; the winner refitted on all rows', () => {
    const { probs, labels } = miscalibrated(3000, 5, 2.5);
    const folds = contiguousFolds(3000, 5);
    const { params, report } = fitCalibrationOutOfFold(probs, labels, folds);
    // The cross-fit by hand, from the single-method fitters.
    const manual = { temperature: 0, isotonic: 0 };
    for (const t of folds) {
      const inFold = new Set(t);
      const others = Array.from({ length: 3000 }, (_, i) => i).filter((i) => !inFold.has(i));
      const take = (pos: ArrayLike<number>): { p: Float64Array; y: Uint8Array } => ({
        p: Float64Array.from({ length: pos.length * 3 }, (_, j) => probs[(pos[Math.floor(j / 3)] as number) * 3 + (j % 3)] as number),
        y: Uint8Array.from(pos, (i) => labels[i] as number),
      });
      const fit = take(others);
      const score = take(t);
      manual.temperature += meanLogLoss(calibrateAll({ method: 'temperature', temperature: fitTemperature(fit.p, fit.y) }, score.p), score.y) * score.y.length;
      manual.isotonic += meanLogLoss(calibrateAll({ method: 'isotonic', isotonic: fitIsotonic(fit.p, fit.y) }, score.p), score.y) * score.y.length;
    }
    assert.equal(report.selectionLogLoss.temperature, manual.temperature / 3000);
    assert.equal(report.selectionLogLoss.isotonic, manual.isotonic / 3000);
    const method = manual.isotonic < manual.temperature ? 'isotonic' : 'temperature';
    assert.equal(params.method, method);
    if (method === 'temperature') assert.equal(params.temperature, fitTemperature(probs, labels));
    else assert.deepEqual(params.isotonic, fitIsotonic(probs, labels));
    assert.equal(report.fittedOn, 'out-of-fold');
    assert.equal(report.rows, 3000);
    // The report's before/after figures are of the rows it was fitted on.
    assert.equal(report.eceBefore, reliability(probs, labels).ece);
  });

  test('an over-confident model: fitted on 5x the rows, the temperature lands nearer the true 2.5 and the held-out ECE falls', () => {
    const fit = miscalibrated(10_000, 6, 2.5);
    const held = miscalibrated(5000, 7, 2.5);
    const { params } = fitCalibrationOutOfFold(fit.probs, fit.labels, contiguousFolds(10_000, 5));
    const before = reliability(held.probs, held.labels).ece;
    const after = reliability(calibrateAll(params, held.probs), held.labels).ece;
    assert.ok(before > 0.05, `fixture ECE ${before}`);
    assert.ok(after < before / 3, `held-out ECE ${before} -> ${after}`);
    if (params.method === 'temperature') assert.ok(Math.abs((params.temperature as number) - 2.5) < 0.25, `T ${params.temperature}`);
  });

  test('the validation rule is unchanged: fitCalibration reports no fittedOn (manifests as before D108)', () => {
    const { probs, labels } = miscalibrated(2000, 8, 2);
    const r = fitCalibration(probs, labels);
    assert.equal(r.report.fittedOn, undefined);
    assert.equal(r.report.rows, undefined);
  });

  test('folds that miss a row, overlap, or are fewer than two are refused', () => {
    const { probs, labels } = miscalibrated(100, 9, 1);
    const folds = contiguousFolds(100, 4);
    assert.throws(() => fitCalibrationOutOfFold(probs, labels, folds.slice(1)), /cover every row/);
    assert.throws(() => fitCalibrationOutOfFold(probs, labels, [...folds, Uint32Array.of(3)]), /two folds/);
    assert.throws(() => fitCalibrationOutOfFold(probs, labels, [Uint32Array.from({ length: 100 }, (_, i) => i)]), /at least 2 folds/);
  });
});
