import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bsGreeks, bsPrice, impliedVol, normCdf, type OptionRight } from '../../../processors/math/black-scholes.ts';

const round2 = (x: number): number => Math.round(x * 100) / 100;

describe('normCdf', () => {
  test('matches tabulated values to 1e-9', () => {
    // Reference values: scipy.stats.norm.cdf (double precision), which agree with the tables of
    // Abramowitz & Stegun 26.2 to the digits they print.
    const table: [number, number][] = [
      [0, 0.5],
      [1, 0.8413447460685429],
      [1.96, 0.9750021048517795],
      [-3, 0.0013498980316300933],
      [-5, 2.866515718791939e-7],
      [0.5, 0.6914624612740131],
    ];
    for (const [x, p] of table) assert.ok(Math.abs(normCdf(x) - p) < 1e-9, `normCdf(${x}) = ${normCdf(x)}, want ${p}`);
  });

  test('agrees with numerical integration of the density and is symmetric', () => {
    // Simpson's rule on the density from 0 to x, an independent computation.
    const simpson = (x: number): number => {
      const n = 2000;
      const h = x / n;
      const f = (t: number): number => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
      let s = f(0) + f(x);
      for (let i = 1; i < n; i++) s += f(i * h) * (i % 2 === 1 ? 4 : 2);
      return 0.5 + (s * h) / 3;
    };
    for (const x of [-6, -4.2, -2.5, -1.1, -0.3, 0.7, 1.6, 3.3, 5.5, 7.5]) {
      assert.ok(Math.abs(normCdf(x) - simpson(x)) < 1e-10, `x=${x}`);
      assert.ok(Math.abs(normCdf(x) + normCdf(-x) - 1) < 1e-15, `symmetry at ${x}`);
    }
  });
});

describe('bsPrice', () => {
  test("Hull's example: S=42, K=40, r=10%, sigma=20%, T=0.5 gives call 4.76 and put 0.81", () => {
    // Hull, Options, Futures, and Other Derivatives, Black-Scholes-Merton chapter, Example 15.6
    // (8th ed.; Example 13.6 in earlier editions).
    assert.equal(round2(bsPrice('C', 42, 40, 0.5, 0.1, 0.2)), 4.76);
    assert.equal(round2(bsPrice('P', 42, 40, 0.5, 0.1, 0.2)), 0.81);
  });

  test('put-call parity C - P = S e^{-qT} - K e^{-rT}', () => {
    for (const [S, K, T, r, sigma, q] of [
      [100, 80, 0.25, 0.03, 0.4, 0.01],
      [60000, 66000, 7 / 365, 0, 0.5, 0],
      [3000, 2700, 2, 0.05, 1.2, 0.02],
      [1, 1.5, 0.01, -0.01, 0.1, 0],
    ] as const) {
      const lhs = bsPrice('C', S, K, T, r, sigma, q) - bsPrice('P', S, K, T, r, sigma, q);
      const rhs = S * Math.exp(-q * T) - K * Math.exp(-r * T);
      assert.ok(Math.abs(lhs - rhs) < 1e-9 * S, `S=${S} K=${K}: ${lhs} vs ${rhs}`);
    }
  });

  test('expired or zero-volatility options are worth their discounted intrinsic value', () => {
    assert.equal(bsPrice('C', 110, 100, 0, 0.05, 0.3), 10);
    assert.equal(bsPrice('P', 110, 100, 0, 0.05, 0.3), 0);
    assert.ok(Math.abs(bsPrice('P', 90, 100, 1, 0.05, 0) - (100 * Math.exp(-0.05) - 90)) < 1e-12);
  });
});

describe('bsGreeks', () => {
  test("Hull's Greek letters example: S=49, K=50, r=5%, sigma=20%, T=0.3846", () => {
    // Hull, "The Greek Letters" chapter (Examples 19.1, 19.4, 19.6 in the 8th ed.): delta 0.522,
    // theta -4.31 per year, gamma 0.066, vega 12.1 for a call.
    const g = bsGreeks('C', 49, 50, 0.3846, 0.05, 0.2);
    assert.equal(Math.round(g.delta * 1000) / 1000, 0.522);
    assert.equal(round2(g.theta), -4.31);
    assert.equal(Math.round(g.gamma * 1000) / 1000, 0.066);
    assert.equal(Math.round(g.vega * 10) / 10, 12.1);
  });

  test('agree with central finite differences of bsPrice', () => {
    const cases: [OptionRight, number, number, number, number, number, number][] = [
      ['C', 100, 95, 0.5, 0.02, 0.35, 0.01],
      ['P', 100, 110, 0.1, 0.0, 0.8, 0],
      ['P', 3000, 2800, 14 / 365, 0.01, 0.6, 0],
    ];
    for (const [right, S, K, T, r, sigma, q] of cases) {
      const g = bsGreeks(right, S, K, T, r, sigma, q);
      const p = (s: number, t: number, v: number): number => bsPrice(right, s, K, t, r, v, q);
      const hS = S * 1e-4, hV = 1e-5, hT = 1e-6;
      const delta = (p(S + hS, T, sigma) - p(S - hS, T, sigma)) / (2 * hS);
      const gamma = (p(S + hS, T, sigma) - 2 * p(S, T, sigma) + p(S - hS, T, sigma)) / (hS * hS);
      const vega = (p(S, T, sigma + hV) - p(S, T, sigma - hV)) / (2 * hV);
      const theta = -(p(S, T + hT, sigma) - p(S, T - hT, sigma)) / (2 * hT);
      assert.ok(Math.abs(g.delta - delta) < 1e-6, `delta ${g.delta} vs ${delta}`);
      assert.ok(Math.abs(g.gamma - gamma) < 1e-4 * Math.max(1, Math.abs(gamma)), `gamma ${g.gamma} vs ${gamma}`);
      assert.ok(Math.abs(g.vega - vega) < 1e-5 * Math.max(1, vega), `vega ${g.vega} vs ${vega}`);
      assert.ok(Math.abs(g.theta - theta) < 1e-4 * Math.max(1, Math.abs(theta)), `theta ${g.theta} vs ${theta}`);
    }
  });
});

describe('impliedVol', () => {
  test('round-trips on a grid including deep in- and out-of-the-money options', () => {
    const S = 100;
    let checkedVol = 0;
    for (const right of ['C', 'P'] as const) {
      for (const K of [30, 60, 90, 100, 110, 150, 300]) {
        for (const T of [1 / 365, 0.1, 1, 5]) {
          for (const sigma of [0.05, 0.2, 0.6, 1.5, 4]) {
            for (const [r, q] of [[0, 0], [0.05, 0.02]] as const) {
              const price = bsPrice(right, S, K, T, r, sigma, q);
              const iv = impliedVol(right, price, S, K, T, r, q);
              const vega = bsGreeks(right, S, K, T, r, sigma, q).vega;
              const label = `${right} K=${K} T=${T} sigma=${sigma} r=${r}: iv=${iv}`;
              if (vega * 1e-3 > 1e-12 * S) {
                // The price still moves measurably with volatility: the volatility must come back.
                assert.ok(iv !== null && Math.abs(iv - sigma) < 1e-6, label);
                checkedVol++;
              } else if (iv !== null) {
                // Price (nearly) insensitive to volatility: whatever comes back must reprice it.
                assert.ok(Math.abs(bsPrice(right, S, K, T, r, iv, q) - price) < 1e-9 * S, label);
              }
            }
          }
        }
      }
    }
    assert.ok(checkedVol > 200, `only ${checkedVol} cases had a measurable vega`);
  });

  test('recovers the volatility of a deep in-the-money call from its price', () => {
    // Intrinsic 40 dominates; solving on the parity-equivalent put keeps the precision.
    const price = bsPrice('C', 100, 60, 0.25, 0.01, 0.3);
    assert.ok(Math.abs((impliedVol('C', price, 100, 60, 0.25, 0.01) as number) - 0.3) < 1e-7);
  });

  test('returns null for prices outside the no-arbitrage bounds', () => {
    assert.equal(impliedVol('C', 9, 100, 90, 0.5, 0), null); // below intrinsic 10
    assert.equal(impliedVol('C', 100, 100, 90, 0.5, 0), null); // a call worth the asset
    assert.equal(impliedVol('P', 95, 100, 90, 0.5, 0.05), null); // above the discounted strike
    assert.equal(impliedVol('P', -1, 100, 90, 0.5, 0), null);
    assert.equal(impliedVol('C', Number.NaN, 100, 90, 0.5, 0), null);
    assert.equal(impliedVol('C', 1, 100, 90, 0, 0), null); // expired
  });

  test('returns null when no volatility in [1e-4, 5] fits', () => {
    // Worth more than at sigma = 5 (yet below the asset price): too rich for the range.
    const tooRich = bsPrice('C', 100, 100, 1, 0, 5) + 0.5;
    assert.ok(tooRich < 100);
    assert.equal(impliedVol('C', tooRich, 100, 100, 1, 0), null);
  });
});
