import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyCalibration, calibrateAll, fitCalibration, fitIsotonic, fitTemperature } from '../../../model/calibration.ts';
import { brierScore, meanLogLoss, reliability } from '../../../model/metrics.ts';
import { miscalibrated } from '../../helpers/miscalibrated.ts';


describe('calibration', () => {
  for (const sharpen of [3, 1 / 3]) {
    test(`fitted on one sample, it lowers ECE and log loss on another (model probabilities = softmax(${sharpen.toFixed(2)} z))`, () => {
      const fit = miscalibrated(4000, 1, sharpen);
      const held = miscalibrated(4000, 2, sharpen);
      const { params, report } = fitCalibration(fit.probs, fit.labels);
      const before = reliability(held.probs, held.labels).ece;
      const after = calibrateAll(params, held.probs);
      assert.ok(before > 0.05, `fixture ECE ${before} should be clearly miscalibrated`);
      assert.ok(reliability(after, held.labels).ece < before / 2, `held-out ECE ${before} -> ${reliability(after, held.labels).ece}`);
      assert.ok(meanLogLoss(after, held.labels) < meanLogLoss(held.probs, held.labels));
      assert.ok(brierScore(after, held.labels) < brierScore(held.probs, held.labels));
      assert.ok(report.eceAfter < report.eceBefore);
      assert.ok(report.logLossAfter < report.logLossBefore);
    });
  }

  test('temperature scaling recovers the temperature of a sharpened model', () => {
    // Probabilities softmax(3 z) against labels from softmax(z): the best T is about 3.
    const { probs, labels } = miscalibrated(20_000, 3, 3);
    const t = fitTemperature(probs, labels);
    assert.ok(Math.abs(t - 3) < 0.25, `T = ${t}`);
  });

  test('isotonic maps are non-decreasing and calibrated rows still sum to 1', () => {
    const { probs, labels } = miscalibrated(2000, 4, 3);
    const maps = fitIsotonic(probs, labels);
    for (const m of maps) {
      for (let i = 1; i < m.x.length; i++) {
        assert.ok((m.x[i] as number) >= (m.x[i - 1] as number));
        assert.ok((m.y[i] as number) >= (m.y[i - 1] as number));
      }
    }
    const p = applyCalibration({ method: 'isotonic', isotonic: maps }, Float64Array.from([0.7, 0.2, 0.1]));
    assert.ok(Math.abs((p[0] as number) + (p[1] as number) + (p[2] as number) - 1) < 1e-12);
  });

  test('ECE by hand: 10 bins of top-class confidence', () => {
    // Two rows at confidence 0.9 (one right), two at 0.6 (both right): |0.5-0.9|/2 + |1-0.6|/2 = 0.4.
    const probs = Float64Array.from([0.9, 0.05, 0.05, 0.9, 0.05, 0.05, 0.6, 0.3, 0.1, 0.6, 0.3, 0.1]);
    const r = reliability(probs, [0, 1, 0, 0]);
    assert.ok(Math.abs(r.ece - 0.4) < 1e-12);
    assert.deepEqual(r.points.map((p) => [p.bin, p.count]), [[6, 2], [9, 2]]);
  });
});
