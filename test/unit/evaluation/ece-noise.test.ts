import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eceNoiseQuantile } from '../../../model/evaluation/ece-noise.ts';
import { reliability } from '../../../model/metrics.ts';
import { Rng } from '../../../processors/math/rng.ts';

function randomProbs(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const p = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rng.next() + 0.2;
    const b = rng.next() + 0.2;
    const c = rng.next() + 0.2;
    p.set([a / (a + b + c), b / (a + b + c), c / (a + b + c)], i * 3);
  }
  return p;
}

test('a calibrated model exceeds the noise quantile about 5 % of the time, and the quantile shrinks with n', () => {
  const small = randomProbs(400, 1);
  const q = eceNoiseQuantile(small, 7);
  // Independent check: labels drawn from the probabilities with another generator.
  const rng = new Rng(99);
  let above = 0;
  const trials = 200;
  for (let t = 0; t < trials; t++) {
    const labels = new Uint8Array(400);
    for (let i = 0; i < 400; i++) {
      const u = rng.next();
      labels[i] = u < small[i * 3]! ? 0 : u < small[i * 3]! + small[i * 3 + 1]! ? 1 : 2;
    }
    if (reliability(small, labels).ece > q) above++;
  }
  assert.ok(above / trials > 0.01 && above / trials < 0.12, `share above the 95th percentile: ${above / trials}`);
  assert.ok(q > 0.02 && q < 0.09, `noise quantile on 400 rows: ${q}`);
  assert.ok(eceNoiseQuantile(randomProbs(10_000, 1), 7) < q / 3, 'quantile on 10,000 rows ≈ 1/5 of that on 400');
  assert.equal(eceNoiseQuantile(small, 7), q, 'seeded');
});

test('a miscalibrated model is beyond the noise', () => {
  const p = randomProbs(2_000, 3);
  const labels = new Uint8Array(2_000); // always class 0: probabilities far off
  assert.ok(reliability(p, labels).ece > 3 * eceNoiseQuantile(p, 7));
});
