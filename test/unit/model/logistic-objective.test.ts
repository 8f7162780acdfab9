import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../../processors/math/rng.ts';
import { lbfgs } from '../../../model/lbfgs.ts';
import { fitLogisticRegression, softmaxObjective } from '../../../model/logistic.ts';

const K = 3;

/**
 * The oracle: the objective as model/logistic.ts computed it before it was unrolled for K = 3
 * (plain per-class loops, copied verbatim from the commit before). The fast one must give the
 * same bits: a trained model's id hashes its parameters, so any difference would change models.
 */
function plainObjective(x: Float64Array, y: Uint8Array, dim: number, l2: number, n: number, classWeights: readonly number[] | null) {
  const nw = dim * K;
  const z = new Float64Array(K);
  return (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < y.length; i++) {
      const base = i * dim;
      for (let k = 0; k < K; k++) z[k] = w[nw + k] as number;
      for (let j = 0; j < dim; j++) {
        const xj = x[base + j] as number;
        for (let k = 0; k < K; k++) z[k] = (z[k] as number) + xj * (w[j * K + k] as number);
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, z[k] as number);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp((z[k] as number) - max);
      const lse = max + Math.log(sum);
      const yi = y[i] as number;
      const wi = classWeights === null ? 1 : (classWeights[yi] as number);
      loss += classWeights === null ? lse - (z[yi] as number) : wi * (lse - (z[yi] as number));
      for (let k = 0; k < K; k++) {
        const r0 = Math.exp((z[k] as number) - lse) - (k === yi ? 1 : 0);
        const r = classWeights === null ? r0 : wi * r0;
        grad[nw + k] = (grad[nw + k] as number) + r;
        for (let j = 0; j < dim; j++) grad[j * K + k] = (grad[j * K + k] as number) + (x[base + j] as number) * r;
      }
    }
    let penalty = 0;
    for (let i = 0; i < nw + K; i++) grad[i] = (grad[i] as number) / n;
    for (let i = 0; i < nw; i++) {
      const wi = w[i] as number;
      penalty += wi * wi;
      grad[i] = (grad[i] as number) + l2 * wi;
    }
    return loss / n + 0.5 * l2 * penalty;
  };
}

/** Rows with a signal in the first features, standardized-looking scales, some exact zeros and repeats. */
function problem(seed: number, rows: number, dim: number): { x: Float64Array; y: Uint8Array } {
  const rng = new Rng(seed);
  const x = new Float64Array(rows * dim);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dim; j++) x[i * dim + j] = j === dim - 1 ? 0 : rng.normal() * (1 + j);
    const s = (x[i * dim] as number) - 0.5 * (x[i * dim + 1] as number) + rng.normal();
    y[i] = s > 0.7 ? 2 : s < -0.7 ? 0 : 1;
  }
  return { x, y };
}

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('softmaxObjective (logistic regression, unrolled for 3 classes)', () => {
  for (const weights of [null, [0.7, 1.9, 1.1]] as const) {
    test(`gives the plain loops' value and gradient bit for bit (${weights === null ? 'unweighted' : 'class-weighted'})`, () => {
      const dim = 9;
      const { x, y } = problem(11, 700, dim);
      const n = weights === null ? y.length : y.reduce((s, c) => s + (weights[c] as number), 0);
      const fast = softmaxObjective(x, y, dim, 1e-3, n, weights);
      const plain = plainObjective(x, y, dim, 1e-3, n, weights);
      const rng = new Rng(5);
      for (let t = 0; t < 20; t++) {
        const w = Float64Array.from({ length: dim * K + K }, () => (t === 0 ? 0 : rng.normal() * 0.8));
        const g1 = new Float64Array(w.length);
        const g2 = new Float64Array(w.length);
        const f1 = fast(w, g1);
        const f2 = plain(w, g2);
        assert.ok(Object.is(f1, f2), `value ${f1} vs ${f2} at trial ${t}`);
        assert.equal(bits(g1), bits(g2), `gradient differs at trial ${t}`);
      }
    });
  }

  test('a full fit equals L-BFGS on the plain objective, parameters bit for bit, for every l2 of the default grid', () => {
    const dim = 16;
    const { x, y } = problem(3, 1500, dim);
    for (const l2 of [1e-1, 1e-2, 1e-3, 1e-4]) {
      const fit = fitLogisticRegression(x, y, dim, l2, 500);
      const ref = lbfgs(plainObjective(x, y, dim, l2, y.length, null), new Float64Array(dim * K + K), { maxIterations: 500, gradientTolerance: 1e-10, functionTolerance: 0 });
      assert.equal(fit.iterations, ref.iterations, `l2 ${l2}: iterations`);
      assert.equal(bits(Float64Array.from([...fit.params.kernel, ...fit.params.bias])), bits(ref.x), `l2 ${l2}: parameters differ`);
    }
  });
});
