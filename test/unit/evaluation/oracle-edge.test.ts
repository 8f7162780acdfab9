import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { quantileSorted, resampleBlocks } from '../../../model/evaluation/block-bootstrap.ts';
import { eceFloor, oracleEdge } from '../../../model/evaluation/oracle-edge.ts';
import { macroAuc } from '../../../processors/math/auc.ts';
import { Rng } from '../../../processors/math/rng.ts';

/** n rows whose true probabilities move with a latent drift; labels drawn from them. */
function market(n: number, seed: number): { oracle: Float64Array; labels: Uint8Array; drift: Float64Array } {
  const rng = new Rng(seed);
  const oracle = new Float64Array(n * 3);
  const labels = new Uint8Array(n);
  const drift = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = 0.8 * rng.normal();
    drift[i] = d;
    const e = [Math.exp(d), 1.2, Math.exp(-d)];
    const s = (e[0] as number) + (e[1] as number) + (e[2] as number);
    for (let k = 0; k < 3; k++) oracle[i * 3 + k] = (e[k] as number) / s;
    const u = rng.next();
    labels[i] = u < (oracle[i * 3] as number) ? 0 : u < (oracle[i * 3] as number) + (oracle[i * 3 + 1] as number) ? 1 : 2;
  }
  return { oracle, labels, drift };
}

const width = (c: [number, number] | null): number => (c === null ? Number.NaN : c[1] - c[0]);

describe('oracleEdge', () => {
  test('a model equal to the oracle has edge 1 against it on every resample, and gap 0', () => {
    const m = market(1500, 3);
    const auc = macroAuc(Array.from({ length: 1500 }, (_, i) => m.oracle.subarray(i * 3, i * 3 + 3)), m.labels) as number;
    const e = oracleEdge({ modelProbs: m.oracle, oracleProbs: m.oracle, labels: m.labels, analyticBayesAuc: 0.7, blockLength: 10, replicates: 200 });
    assert.equal(e.modelAuc.estimate, auc);
    assert.equal(e.oracleAuc.estimate, auc);
    assert.equal(e.edgeVsOracle.estimate, 1);
    assert.deepEqual(e.edgeVsOracle.ci95, [1, 1]);
    assert.deepEqual(e.aucGap.ci95, [0, 0]);
    assert.equal(e.edgeVsAnalytic.estimate, (auc - 0.5) / (0.7 - 0.5));
    // The analytic edge still moves with the sample: its interval is not a point.
    assert.ok(width(e.edgeVsAnalytic.ci95) > 0.05);
  });

  test('a constant model has AUC 0.5 (all ties count half) and edge 0 both ways', () => {
    const m = market(900, 4);
    const flat = new Float64Array(900 * 3).fill(1 / 3);
    const e = oracleEdge({ modelProbs: flat, oracleProbs: m.oracle, labels: m.labels, analyticBayesAuc: 0.7, blockLength: 5, replicates: 100 });
    assert.equal(e.modelAuc.estimate, 0.5);
    assert.equal(e.edgeVsAnalytic.estimate, 0);
    assert.equal(e.edgeVsOracle.estimate, 0);
  });

  test('pairing: against the oracle on the same resamples the edge interval is narrower than against a fixed Bayes AUC', () => {
    const n = 2600;
    const m = market(n, 5);
    // A good model: the drift seen through noise.
    const rng = new Rng(9);
    const model = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const d = (m.drift[i] as number) + 0.4 * rng.normal();
      const e = [Math.exp(d), 1.2, Math.exp(-d)];
      const s = (e[0] as number) + (e[1] as number) + (e[2] as number);
      for (let k = 0; k < 3; k++) model[i * 3 + k] = (e[k] as number) / s;
    }
    const a = oracleEdge({ modelProbs: model, oracleProbs: m.oracle, labels: m.labels, analyticBayesAuc: 0.7, blockLength: 12, replicates: 400 });
    assert.ok(a.edgeVsOracle.estimate !== null && a.edgeVsOracle.estimate < 1);
    assert.ok(width(a.edgeVsOracle.ci95) < 0.8 * width(a.edgeVsAnalytic.ci95), `${JSON.stringify(a.edgeVsOracle.ci95)} vs ${JSON.stringify(a.edgeVsAnalytic.ci95)}`);
    // Deterministic: the same inputs and seed give the same intervals.
    const b = oracleEdge({ modelProbs: model, oracleProbs: m.oracle, labels: m.labels, analyticBayesAuc: 0.7, blockLength: 12, replicates: 400 });
    assert.deepEqual(b, a);
  });
});

describe('resampled AUC', () => {
  test('the weighted count over a resample equals macroAuc of the resampled rows', () => {
    const m = market(700, 6);
    // Ties too: probabilities rounded to 2 decimals.
    const tied = Float64Array.from(m.oracle, (v) => Math.round(v * 100) / 100);
    const e = oracleEdge({ modelProbs: tied, oracleProbs: m.oracle, labels: m.labels, analyticBayesAuc: 0.7, blockLength: 7, replicates: 300 });
    // Recompute the replicates with the reference AUC on materialised resamples (same seeded resampling).
    const rng = new Rng(1);
    const idx = new Uint32Array(700);
    const ref: number[] = [];
    for (let r = 0; r < 300; r++) {
      resampleBlocks(700, 7, rng, idx);
      ref.push(macroAuc(Array.from(idx, (i) => tied.subarray(i * 3, i * 3 + 3)), Array.from(idx, (i) => m.labels[i] as number)) as number);
    }
    ref.sort((a, b) => a - b);
    const ci = e.modelAuc.ci95 as [number, number];
    assert.ok(Math.abs(ci[0] - quantileSorted(ref, 0.025)) < 1e-12 && Math.abs(ci[1] - quantileSorted(ref, 0.975)) < 1e-12, `${JSON.stringify(ci)}`);
  });
});

describe('eceFloor', () => {
  test('one confidence level: the mean ECE of a calibrated model is the mean absolute deviation of a binomial proportion', () => {
    // Every row [0.5, 0.3, 0.2]: one bin, ECE = |hits / n - 0.5|, hits ~ Binomial(n, 0.5). For
    // large n, E|X - np| / n = sqrt(2 / pi) sqrt(p (1 - p) / n) and the 95th percentile of
    // |X - np| / n is 1.96 sqrt(p (1 - p) / n) (normal approximation; any statistics text).
    const n = 2500;
    const probs = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) probs.set([0.5, 0.3, 0.2], i * 3);
    const sigma = Math.sqrt(0.25 / n);
    const f = eceFloor(probs, 11, 2000);
    assert.ok(Math.abs(f.mean - Math.sqrt(2 / Math.PI) * sigma) < 0.05 * Math.sqrt(2 / Math.PI) * sigma, `mean ${f.mean}`);
    assert.ok(Math.abs(f.q95 - 1.96 * sigma) < 0.1 * 1.96 * sigma, `q95 ${f.q95}`);
  });
});
