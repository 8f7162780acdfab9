import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitFusionWeights } from '../../../model/confluence/fit-weights.ts';

test('learned weight: the closed-form maximum likelihood of a symmetric one-feature design (w = ln 3)', () => {
  // x = +1: 3 UP, 1 DOWN; x = -1: 1 UP, 3 DOWN. The score equation sum (y - sigmoid(w x)) x = 0
  // gives 4 (3/4 - sigmoid(w)) = 0 on each side, so sigmoid(w) = 3/4 and w = ln 3 (textbook logit).
  const x = [[1], [1], [1], [1], [-1], [-1], [-1], [-1]];
  const up = [true, true, true, false, true, false, false, false];
  const f = fitFusionWeights(x, up, { l2: 0 });
  assert.ok(f.converged);
  assert.ok(Math.abs((f.weights[0] as number) - Math.log(3)) < 1e-12, String(f.weights[0]));
  // The penalty shrinks towards 0; a timeframe that carries nothing (all zeros) gets weight 0.
  const g = fitFusionWeights(x.map((r) => [r[0] as number, 0]), up, { l2: 1 });
  assert.ok((g.weights[0] as number) > 0 && (g.weights[0] as number) < Math.log(3));
  assert.equal(g.weights[1], 0);
  // Same rows, same weights, bit for bit.
  assert.deepEqual(fitFusionWeights(x, up, { l2: 1 }).weights, fitFusionWeights(x, up, { l2: 1 }).weights);
});

test('no rows to fit is an error that says so', () => {
  assert.throws(() => fitFusionWeights([], []), /no rows to fit/);
});
