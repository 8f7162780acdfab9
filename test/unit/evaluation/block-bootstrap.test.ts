import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blockBootstrap, blockLengthForHorizon, quantileSorted } from '../../../model/evaluation/block-bootstrap.ts';
import { compareWithBaseline, constantProbs, edgeFraction, metricInterval, STANDARD_METRICS } from '../../../model/evaluation/metric-intervals.ts';
import { Rng } from '../../../processors/math/rng.ts';

const meanOf = (x: Float64Array) => (rows: Uint32Array) => {
  let s = 0;
  for (const r of rows) s += x[r] as number;
  return s / rows.length;
};

function ar1(n: number, phi: number, rng: Rng): Float64Array {
  const x = new Float64Array(n);
  x[0] = rng.normal() / Math.sqrt(1 - phi * phi);
  for (let i = 1; i < n; i++) x[i] = phi * (x[i - 1] as number) + rng.normal();
  return x;
}

describe('blockBootstrap', () => {
  test('iid data: the percentile interval of a mean matches the normal-theory interval mean ± 1.96 s / sqrt(n)', () => {
    const rng = new Rng(7);
    const n = 2000;
    const x = Float64Array.from({ length: n }, () => 3 + 2 * rng.normal());
    const m = x.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
    const half = (1.959964 * s) / Math.sqrt(n); // z(0.975), any normal table
    const ci = blockBootstrap(n, meanOf(x), { blockLength: 1, replicates: 4000, seed: 3 });
    assert.equal(ci.estimate, m);
    assert.ok(ci.ci95 !== null);
    // Monte-Carlo error of the bootstrap quantiles with 4000 replicates is a few % of the half-width.
    assert.ok(Math.abs(ci.ci95[0] - (m - half)) < 0.08 * half, `lo ${ci.ci95[0]} vs ${m - half}`);
    assert.ok(Math.abs(ci.ci95[1] - (m + half)) < 0.08 * half, `hi ${ci.ci95[1]} vs ${m + half}`);
  });

  test('serially dependent data: blocks keep 95 % coverage where the iid bootstrap falls far short', (t) => {
    // AR(1) with phi = 0.8: the variance of the mean is (1 + phi) / (1 - phi) = 9 times the iid
    // value, so an iid interval covers about P(|Z| < 1.96 / 3) = 0.49 of the time.
    const sims = 200;
    const n = 600;
    let coveredBlock = 0;
    let coveredIid = 0;
    const rng = new Rng(11);
    for (let k = 0; k < sims; k++) {
      const x = ar1(n, 0.8, rng);
      const block = blockBootstrap(n, meanOf(x), { blockLength: 40, replicates: 300, seed: k }).ci95!;
      const iid = blockBootstrap(n, meanOf(x), { blockLength: 1, replicates: 300, seed: k }).ci95!;
      if (block[0] <= 0 && 0 <= block[1]) coveredBlock++;
      if (iid[0] <= 0 && 0 <= iid[1]) coveredIid++;
    }
    t.diagnostic(`coverage: blocks ${coveredBlock / sims}, iid ${coveredIid / sims}`);
    // Block bootstraps of a mean under-cover slightly at finite n (Lahiri 2003, ch. 3); 0.85 is a loose floor.
    assert.ok(coveredBlock / sims >= 0.85, `block coverage ${coveredBlock / sims}`);
    assert.ok(coveredIid / sims <= 0.65, `iid coverage ${coveredIid / sims}`);
  });

  test('seeded and deterministic', () => {
    const x = ar1(500, 0.5, new Rng(1));
    const a = blockBootstrap(500, meanOf(x), { blockLength: 10, replicates: 200, seed: 5 });
    const b = blockBootstrap(500, meanOf(x), { blockLength: 10, replicates: 200, seed: 5 });
    const c = blockBootstrap(500, meanOf(x), { blockLength: 10, replicates: 200, seed: 6 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.ci95, c.ci95);
  });

  test('undefined replicates are skipped; too many undefined gives no interval', () => {
    const r = blockBootstrap(10, (rows) => (rows[0] === 0 ? null : 1), { blockLength: 2, replicates: 100 });
    assert.equal(r.estimate, null);
    assert.ok(r.replicates > 50 && r.replicates < 100);
    assert.deepEqual(r.ci95, [1, 1]);
    assert.equal(blockBootstrap(10, () => null, { blockLength: 2, replicates: 10 }).ci95, null);
  });

  test('quantiles are type 7 (numpy linear): [1, 2, 3, 4] at 0.25 is 1.75', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
    assert.equal(quantileSorted([1, 2, 3, 4], 0.975), 3.925);
  });

  test('block length spans the label horizon: 7 bar ends x 3 symbols for a 6-bar horizon', () => {
    const t = Float64Array.from({ length: 300 }, (_, i) => Math.floor(i / 3) * 300_000);
    assert.equal(blockLengthForHorizon(t, 6 * 300_000), 21);
    assert.equal(blockLengthForHorizon(t, 0), 3);
  });
});

describe('metric intervals beside the baseline', () => {
  // Labels from known probabilities: p(UP) = u, p(DOWN) = 1 - u - 0.2, p(FLAT) = 0.2.
  const rng = new Rng(21);
  const n = 1500;
  const probs = new Float64Array(n * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = 0.1 + 0.6 * rng.next();
    probs.set([u, 0.2, 0.8 - u], i * 3);
    const v = rng.next();
    labels[i] = v < u ? 0 : v < u + 0.2 ? 1 : 2;
  }

  test('the majority baseline has AUC exactly 0.5 and the model beats it on AUC and log loss', () => {
    const freq = [0, 1, 2].map((c) => labels.filter((y) => y === c).length / n);
    const r = compareWithBaseline(STANDARD_METRICS, probs, constantProbs(freq, n), labels, { blockLength: 10, replicates: 300, seed: 1 });
    assert.equal(r['auc']!.baseline.value, 0.5);
    assert.deepEqual(r['auc']!.baseline.ci95, [0.5, 0.5]);
    assert.ok(r['auc']!.ci95![0] > 0.5);
    assert.ok(r['logLoss']!.delta.ci95![1] < 0, 'model log loss below the baseline on every resample quantile');
    const v = r['accuracy']!;
    assert.ok(v.ci95![0] <= v.value! && v.value! <= v.ci95![1]);
  });

  test('any metric plugs in', () => {
    const meanTopProb = (p: Float64Array, y: Uint8Array): number => {
      let s = 0;
      for (let i = 0; i < y.length; i++) s += Math.max(p[i * 3] as number, p[i * 3 + 1] as number, p[i * 3 + 2] as number);
      return s / y.length;
    };
    const r = metricInterval(meanTopProb, probs, labels, { blockLength: 5, replicates: 200 });
    assert.ok(r.ci95![0] < r.estimate! && r.estimate! < r.ci95![1]);
  });

  test('edge fraction', () => {
    assert.ok(Math.abs(edgeFraction(0.582, 0.613)! - 0.082 / 0.113) < 1e-12);
    assert.equal(edgeFraction(0.55, 0.5), null);
    assert.equal(edgeFraction(null, 0.6), null);
  });
});
