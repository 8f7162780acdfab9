import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fitProjection, projectRow } from '../../../model/evaluation/feature-projection.ts';

/**
 * Known answers by construction: on a two-level full factorial design (rows = all 2^3 sign
 * patterns of three ±1 columns, repeated), the columns are orthogonal with mean 0 and standard
 * deviation 1, so least squares of y = 2 + 3 x0 − x1 + 0.5 x2 on (x0, x1) gives intercept 2,
 * weights 3 and −1 exactly, and leaves 0.5 x2 as the residual: variance 0.25 × n / (n − 3),
 * R² = 1 − 0.25 / (9 + 1 + 0.25).
 */
function design(reps: number): { features: Float64Array; x2: Float64Array; n: number } {
  const n = 8 * reps;
  const features = new Float64Array(n * 2);
  const x2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = i % 8;
    features[i * 2] = b & 1 ? 1 : -1;
    features[i * 2 + 1] = b & 2 ? 1 : -1;
    x2[i] = b & 4 ? 1 : -1;
  }
  return { features, x2, n };
}

describe('feature projection (D109)', () => {
  test('an orthogonal design: intercept and weights exact, the omitted column is the residual', () => {
    const { features, x2, n } = design(25);
    const y = Float64Array.from({ length: n }, (_, i) => 2 + 3 * (features[i * 2] as number) - (features[i * 2 + 1] as number) + 0.5 * (x2[i] as number));
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    const p = fitProjection(features, 2, y, rows);
    assert.equal(p.rows, n);
    for (const [got, want] of [
      [p.coef[0], 2],
      [p.coef[1], 3],
      [p.coef[2], -1],
      [p.residualVariance, (0.25 * n) / (n - 3)],
      [p.r2, 1 - 0.25 / 10.25],
    ] as const) assert.ok(Math.abs((got as number) - want) < 1e-9, `${got} vs ${want}`);
    assert.ok(Math.abs(projectRow(p, features, 2, 0) - (2 - 3 + 1)) < 1e-9);
  });

  test('fitted on some rows only: the other rows (and a non-finite target) never move it; NaN features count as the mean', () => {
    const { features, x2, n } = design(20);
    const y = Float64Array.from({ length: n }, (_, i) => 1 + (features[i * 2] as number) + 0.1 * (x2[i] as number));
    const fitRows = Uint32Array.from({ length: 80 }, (_, i) => i);
    const a = fitProjection(features, 2, y, fitRows);
    const y2 = Float64Array.from(y);
    for (let i = 80; i < n; i++) y2[i] = 1e6 * (i % 3);
    y2[5] = Number.NaN;
    const b = fitProjection(features, 2, y2, fitRows);
    assert.deepEqual(a.coef.slice(), fitProjection(features, 2, y, fitRows).coef.slice());
    assert.equal(b.rows, 79);
    // Row 5's NaN target: the same fit as without row 5.
    assert.deepEqual(b.coef, fitProjection(features, 2, y, fitRows.filter((r) => r !== 5)).coef);
    const f = Float64Array.from(features);
    f[0] = Number.NaN;
    f[1] = Number.NaN;
    assert.ok(Math.abs(projectRow(a, f, 2, 0) - (a.coef[0] as number)) < 1e-12);
  });

  test('a column constant over the fit rows gets no weight and no error', () => {
    const n = 64;
    const features = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      features[i * 2] = i % 2 ? 1 : -1;
      features[i * 2 + 1] = 7;
      y[i] = 4 * (features[i * 2] as number);
    }
    const p = fitProjection(features, 2, y, Uint32Array.from({ length: n }, (_, i) => i));
    assert.ok(Math.abs((p.coef[1] as number) - 4) < 1e-9);
    assert.equal(p.coef[2], 0);
  });
});
