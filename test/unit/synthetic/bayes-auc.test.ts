import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SyntheticMarket, bayesAuc, bayesDataset, syntheticConfig, type SyntheticTruth } from '../../../sources/synthetic/index.ts';
import { macroAuc } from '../../../processors/math/auc.ts';

function truthFor(signalStrength: number, seed = 5): SyntheticTruth {
  const m = new SyntheticMarket(syntheticConfig({ days: 10, seed, signalStrength, options: { intervalMs: 86_400_000 } }));
  for (const it = m.events(); !it.next().done;) { /* drain: the truth is collected during the iteration */ }
  return m.truth();
}

describe('bayesAuc', () => {
  const t1 = truthFor(1);
  const t2 = truthFor(2);
  const a1 = bayesAuc(t1);
  const a2 = bayesAuc(t2);
  const d = bayesDataset(t2);

  test('default strength 1 lands in the calibrated range and strength 2 is clearly higher', () => {
    assert.ok(a1 > 0.59 && a1 < 0.67, `strength 1: ${a1}`);
    assert.ok(a2 > a1 + 0.04, `strength 2: ${a2} vs ${a1}`);
  });

  test('the known drift is the conditional mean of the forward return (slope ~1, residual variance as modelled)', () => {
    assert.equal(macroAuc(d.probs, d.labels), a2);
    const n = d.labels.length;
    const mx = d.knownDrift.reduce((a, b) => a + b, 0) / n;
    let sxy = 0, sxx = 0, rr = 0;
    for (let i = 0; i < n; i++) {
      sxy += (d.knownDrift[i]! - mx) * d.forwardReturn[i]!;
      sxx += (d.knownDrift[i]! - mx) ** 2;
      rr += (d.forwardReturn[i]! - d.knownDrift[i]!) ** 2;
    }
    const slope = sxy / sxx;
    assert.ok(Math.abs(slope - 1) < 0.1, `slope ${slope}`);
    // Residual = unknown future-OFI drift + diffusion + jumps, computed independently here:
    // c = s * kappa * sigma_bar; future weights (c/6) * (5, 4, 3, 2, 1); Var(OFI) ~ a_max^2 / 3.
    const sigmaBar = 0.5 * Math.sqrt(300_000 / (365 * 86_400_000));
    const c = 2 * 1.8 * sigmaBar;
    const varUnknown = (c / 6) ** 2 * 55 * (0.6 ** 2 / 3);
    const varNoise = 6 * sigmaBar ** 2 + (2 / 48) * 0.005 ** 2;
    const ratio = rr / n / (varUnknown + varNoise);
    assert.ok(Math.abs(ratio - 1) < 0.1, `residual variance ratio ${ratio}`);
  });

  test('probabilities are calibrated: mean P(UP) and P(FLAT) match the label frequencies per quintile', () => {
    const idx = d.labels.map((_, i) => i).sort((a, b) => d.probs[a]![0] - d.probs[b]![0]);
    for (let q = 0; q < 5; q++) {
      const part = idx.slice(Math.floor((q * idx.length) / 5), Math.floor(((q + 1) * idx.length) / 5));
      const p = part.reduce((s, i) => s + d.probs[i]![0], 0) / part.length;
      const f = part.filter((i) => d.labels[i] === 0).length / part.length;
      assert.ok(Math.abs(p - f) < 0.05, `quintile ${q}: P(UP) ${p} vs frequency ${f}`);
    }
    for (const pr of d.probs) assert.ok(Math.abs(pr[0] + pr[1] + pr[2] - 1) < 1e-12 && pr.every((x) => x >= 0));
  });

  test('beats a simple predictor that uses only the last bar OFI', () => {
    const byName = new Map(t2.symbols.map((s) => [s.symbol, s]));
    const simple = d.bar.map((k, i) => {
      const o = byName.get(d.symbol[i]!)!.ofi[k]!;
      return [o, -Math.abs(o), -o];
    });
    const simpleAuc = macroAuc(simple, d.labels) as number;
    assert.ok(simpleAuc > 0.55, `the planted OFI signal is visible to a simple predictor: ${simpleAuc}`);
    assert.ok(a2 > simpleAuc + 0.02, `bayes ${a2} vs simple ${simpleAuc}`);
  });

  test('is exactly 0.5 at strength 0', () => {
    assert.equal(bayesAuc(truthFor(0)), 0.5);
  });

  test('is NaN when the sample is shorter than the label horizon', () => {
    const m = new SyntheticMarket(syntheticConfig({ days: 0.02, options: { intervalMs: 86_400_000 } }));
    for (const it = m.events(); !it.next().done;) { /* drain: the truth is collected during the iteration */ }
    assert.ok(m.truth().symbols.every((s) => s.bars === 5));
    assert.ok(Number.isNaN(m.bayesAuc()));
  });

  test('depends on the label config and is deterministic', () => {
    assert.equal(bayesAuc(t1), a1);
    assert.notEqual(bayesAuc(t1, { labelConfig: { horizonBars: 3, flatBand: 0.001 } }), a1);
  });
});
