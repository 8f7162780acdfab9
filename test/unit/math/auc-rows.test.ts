import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { macroAuc, macroAucRows } from '../../../processors/math/auc.ts';
import { Rng } from '../../../processors/math/rng.ts';

const K = 3;
const rowsOf = (p: Float64Array, n: number): Float64Array[] => Array.from({ length: n }, (_, i) => p.subarray(i * K, i * K + K));

/** Random probabilities, rounded to `grid` steps so that ties are common (0 = no rounding). */
function sample(rng: Rng, n: number, grid: number, classes = K): { p: Float64Array; y: Uint8Array } {
  const p = new Float64Array(n * K);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < K; c++) {
      const v = rng.next();
      p[i * K + c] = grid === 0 ? v : Math.round(v * grid) / grid;
    }
    y[i] = Math.floor(rng.next() * classes);
  }
  return { p, y };
}

describe('macroAucRows (the bootstrap\'s macro AUC)', () => {
  test('is macroAuc\'s number, bit for bit, on random rows with and without ties and with absent classes', () => {
    const rng = new Rng(7);
    let compared = 0;
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rng.next() * 400);
      const grid = [0, 3, 10, 100][t % 4] as number;
      const { p, y } = sample(rng, n, grid, t % 7 === 0 ? 2 : K);
      const expected = macroAuc(rowsOf(p, n), y, K);
      const got = macroAucRows(p, y, K);
      assert.ok(Object.is(got, expected), `trial ${t} (n ${n}, grid ${grid}): ${got} vs macroAuc ${expected}`);
      if (expected !== null) compared++;
    }
    assert.ok(compared > 200, `only ${compared} trials had a defined AUC`);
  });

  test('treats -0 and 0 as one tie, as macroAuc does', () => {
    const p = Float64Array.from([-0, 0.5, 0.5, 0, 0.2, 0.8, -0, 0.1, 0.9, 0, 0.3, 0.7, 0.5, 0.25, 0.25]);
    const y = Uint8Array.from([1, 0, 1, 2, 0]);
    assert.ok(Object.is(macroAucRows(p, y, K), macroAuc(rowsOf(p, 5), y, K)));
  });

  test('known value by counting pairs (Mann-Whitney): 3 of 4 positive-negative pairs ordered in each class present gives 0.75', () => {
    const s = [0.1, 0.3, 0.35, 0.8];
    const p = new Float64Array(4 * K);
    s.forEach((v, i) => {
      p[i * K] = v;
      p[i * K + 1] = 1 - v;
      p[i * K + 2] = 0;
    });
    const y = Uint8Array.from([1, 0, 1, 0]);
    // Class 0: positives 0.3 and 0.8 against negatives 0.1 and 0.35: 3 of 4 pairs ordered.
    // Class 1 (scores 1 - v): positives 0.9 and 0.65 against 0.7 and 0.2: 3 of 4. Class 2 has no positives: left out.
    assert.equal(macroAucRows(p, y, K), 0.75);
  });

  test('NaN scores go through macroAuc itself', () => {
    const p = Float64Array.from([Number.NaN, 0.5, 0.5, 0.2, 0.3, 0.5, 0.9, 0.05, 0.05]);
    const y = Uint8Array.from([0, 1, 2]);
    assert.ok(Object.is(macroAucRows(p, y, K), macroAuc(rowsOf(p, 3), y, K)));
  });
});
