/**
 * full-v1's option-chain features on hand-built chains; expected values are worked out in the test
 * names/comments from the documented formulas (full-feature-defs.ts, chain/*.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bsGreeks, bsPrice } from '../../../processors/math/black-scholes.ts';
import { gammaExposure, gammaFlip } from '../../../processors/features/full/chain/gamma-exposure.ts';
import { ivSkew } from '../../../processors/features/full/chain/iv-skew.ts';
import { liveExpiries, oiVelocity, pcrOiChange, sumOiByRight, velocity } from '../../../processors/features/full/chain/oi-flow.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { pcrPremium } from '../../../processors/features/full/chain/premium-pcr.ts';
import { resolveChain, YEAR_MS } from '../../../processors/features/full/chain/resolved-chain.ts';
import { snapshotFeatures } from '../../../processors/features/full/chain/snapshot-features.ts';
import { chain, DAY, T0 } from './chain-builders.ts';

const P = { rate: 0, dividendYield: 0, multiplier: 1 };
const E1 = T0 + 2 * DAY;
const E2 = T0 + 9 * DAY;
const near = (got: number | null, want: number, tol = 1e-12, what = ''): void => {
  assert.ok(got !== null && Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what} got ${String(got)}, want ${want}`);
};

describe('dealer gamma exposure (dealers long calls, short puts)', () => {
  // Quoted gammas; spot 100, multiplier 1. Signed γ·OI: +0.05·100 -0.03·200 +0.04·50 -0.05·80 (E1)
  // = -3, +0.01·500 (E2) = +5; net = 2 → GEX = 2·100²·0.01 = 200, nearest = -3·100 = -300.
  const snap = chain(T0, 100, [
    { expiry: E1, strike: 100, right: 'C', oi: 100, gamma: 0.05 },
    { expiry: E1, strike: 95, right: 'P', oi: 200, gamma: 0.03 },
    { expiry: E1, strike: 105, right: 'C', oi: 50, gamma: 0.04 },
    { expiry: E1, strike: 100, right: 'P', oi: 80, gamma: 0.05 },
    { expiry: E2, strike: 110, right: 'C', oi: 500, gamma: 0.01 },
    { expiry: T0, strike: 100, right: 'P', oi: 9999, gamma: 0.5 }, // expired at the snapshot: left out
  ]);
  const rs = resolveChain(snap, P);
  const g = gammaExposure(rs, 100, E1, P);

  test('total 200, nearest -300, net gamma 2', () => {
    near(g.total, 200, 1e-12, 'total');
    near(g.nearest, -300, 1e-12, 'nearest');
    near(g.netGamma, 2, 1e-12, 'net');
  });

  test('OTM profile: puts below spot 0.03·200 = 6 (the 100 put is ATM, not OTM); calls above 0.04·50 + 0.01·500 = 7', () => {
    near(g.otmPutGamma, 6, 1e-12, 'put');
    near(g.otmCallGamma, 7, 1e-12, 'call');
  });

  test('the contract multiplier scales GEX linearly (×75)', () => {
    near(gammaExposure(rs, 100, E1, { ...P, multiplier: 75 }).total, 200 * 75, 1e-12);
  });

  test('snapshotFeatures reports them, with gex_sign = +1', () => {
    const f = snapshotFeatures(snap, P);
    near(f.gex_total, 200);
    near(f.gex_near, -300);
    assert.equal(f.gex_sign, 1);
  });

  test('missing gamma comes from bsGreeks with the contract IV; missing IV is solved from the mid price', () => {
    const t = (E2 - T0) / YEAR_MS;
    const price = bsPrice('C', 100, 102, t, 0.05, 0.25); // ≈ 0.95
    assert.ok(price > 0.5);
    const s = chain(T0, 100, [
      { expiry: E2, strike: 100, right: 'P', oi: 10, iv: 0.3 },
      { expiry: E2, strike: 102, right: 'C', oi: 10, bid: price - 0.01, ask: price + 0.01 },
      { expiry: E2, strike: 110, right: 'C', oi: 10 }, // no IV, no price: no gamma
    ]);
    const [a, b, c] = resolveChain(s, { ...P, rate: 0.05 });
    near(a?.gamma ?? null, bsGreeks('P', 100, 100, t, 0.05, 0.3).gamma, 1e-12, 'put gamma');
    near(b?.sigma ?? null, 0.25, 1e-9, 'solved IV');
    assert.equal(c?.sigma, null);
    assert.equal(c?.gamma, null);
  });
});

describe('gamma flip', () => {
  // Put K=90 and call K=110, equal OI and IV σ, r = q = 0: GEX(S) ∝ γ_C(S) - γ_P(S), zero where
  // d1(S, 110)² = d1(S, 90)², i.e. ln(S/110) + h = -(ln(S/90) + h), h = σ²T/2:
  // S* = sqrt(110·90)·e^{-h}. Below S* the put's gamma dominates (negative), above it the call's.
  const sigma = 0.2;
  const expiry = T0 + 30 * DAY;
  const t = 30 / 365;
  const sStar = Math.sqrt(110 * 90) * Math.exp(-(sigma * sigma * t) / 2);
  const snap = chain(T0, 100, [
    { expiry, strike: 90, right: 'P', oi: 1000, iv: sigma },
    { expiry, strike: 110, right: 'C', oi: 1000, iv: sigma },
  ]);
  const rs = resolveChain(snap, P);

  test(`S* = sqrt(9900)·e^(-σ²T/2) ≈ ${sStar.toFixed(4)}: found within 0.01 on the default 0.5 % grid, 1e-6 on a fine one`, () => {
    near(gammaFlip(rs, 100, P), sStar, 0.01 / sStar, 'default grid');
    near(gammaFlip(rs, 100, P, { range: 0.1, steps: 20_000 }), sStar, 1e-6 / sStar, 'fine grid');
    near(snapshotFeatures(snap, P).gamma_flip_dist, (sStar - 100) / 100, 1e-4);
  });

  test('null when GEX keeps one sign over ±10 % (calls only), or the flip lies outside the grid', () => {
    assert.equal(gammaFlip(resolveChain(chain(T0, 100, [{ expiry, strike: 110, right: 'C', oi: 5, iv: 0.2 }]), P), 100, P), null);
    assert.equal(gammaFlip(rs, 120, P), null); // S* ≈ 99.3 is below 120·0.9 = 108
  });
});

describe('IV skew, term structure, ATM IV', () => {
  const specs = [
    { expiry: E1, strike: 90, right: 'P' as const, iv: 0.3 },
    { expiry: E1, strike: 95, right: 'P' as const, iv: 0.25 },
    { expiry: E1, strike: 100, right: 'P' as const, iv: 0.22 },
    { expiry: E1, strike: 100, right: 'C' as const, iv: 0.2 },
    { expiry: E1, strike: 105, right: 'C' as const, iv: 0.18 },
    { expiry: E1, strike: 110, right: 'C' as const, iv: 0.17 },
    { expiry: E2, strike: 100, right: 'C' as const, iv: 0.28 },
    { expiry: E2, strike: 100, right: 'P' as const, iv: 0.3 },
  ];

  test('spot 100: put IV at 95 (0.25) - call IV at 105 (0.18) = 0.07', () => {
    near(ivSkew(resolveChain(chain(T0, 100, specs), P).filter((r) => r.c.expiry === E1), 100), 0.07);
  });

  test('spot 101: put at 95.95 → 0.25 - 0.03·0.95/5 = 0.2443; call at 106.05 → 0.18 - 0.01·1.05/5 = 0.1779; skew 0.0664', () => {
    near(snapshotFeatures(chain(T0, 101, specs), P).iv_skew_5, 0.0664, 1e-12);
  });

  test('null when a wing is outside the listed strikes (spot 120: no call strike at 126)', () => {
    assert.equal(snapshotFeatures(chain(T0, 120, specs), P).iv_skew_5, null);
  });

  test('ATM IV (0.20 + 0.22)/2 = 0.21; next expiry (0.28 + 0.30)/2 = 0.29; term ratio 0.21/0.29', () => {
    const f = snapshotFeatures(chain(T0, 100, specs), P);
    near(f.atm_iv, 0.21);
    near(f.iv_term_ratio, 0.21 / 0.29);
    assert.equal(snapshotFeatures(chain(T0, 100, specs.slice(0, 6)), P).iv_term_ratio, null, 'no next expiry');
  });
});

describe('OI flow, premium PCR, max pain pull', () => {
  const then = chain(T0 - 300_000, 100, [
    { expiry: E1, strike: 100, right: 'C', oi: 60 }, { expiry: E2, strike: 100, right: 'C', oi: 40 },
    { expiry: E1, strike: 100, right: 'P', oi: 350 },
    { expiry: T0 - DAY, strike: 100, right: 'C', oi: 1000 }, // expired in both: ignored
  ]);
  const now = chain(T0, 102, [
    { expiry: E1, strike: 100, right: 'C', oi: 90, last: 2 }, { expiry: E2, strike: 100, right: 'C', oi: 60, last: 4 },
    { expiry: E1, strike: 100, right: 'P', oi: 280, last: 1.5 },
    { expiry: T0 - DAY, strike: 100, right: 'C', oi: 5000 },
  ]);

  test('OI velocity: calls (150 - 100)/100 = 0.5, puts (280 - 350)/350 = -0.2', () => {
    near(oiVelocity(now, then, 'C'), 0.5);
    near(oiVelocity(now, then, 'P'), -0.2);
  });

  test('null without a strictly older snapshot', () => {
    assert.equal(oiVelocity(now, null, 'C'), null);
    assert.equal(oiVelocity(now, now, 'C'), null);
    assert.equal(oiVelocity(then, now, 'C'), null);
  });

  test('sums per right over the live expiries (the expired contract left out): calls 150 / 100, puts 280 / 350', () => {
    const live = liveExpiries(now);
    assert.deepEqual(sumOiByRight(now, live), { call: 150, put: 280 });
    assert.deepEqual(sumOiByRight(then, live), { call: 100, put: 350 });
  });

  test('velocity() of the one-pass sums equals oiVelocity bit for bit on random chains (fractional OI, so the order of additions shows)', () => {
    const rng = new Rng(7);
    const expiries = [T0 - DAY, T0, T0 + DAY, T0 + 7 * DAY];
    const random = (t: number): ReturnType<typeof chain> => chain(t, 100, Array.from({ length: 1 + Math.floor(rng.next() * 40) }, () => ({
      expiry: expiries[Math.floor(rng.next() * expiries.length)] as number,
      strike: 90 + Math.floor(rng.next() * 20),
      right: rng.next() < 0.5 ? 'C' as const : 'P' as const,
      oi: rng.next() < 0.1 ? 0 : (rng.next() * 1e4) / 3, // / 3: full-width mantissas, so sums depend on their order
    })));
    for (let i = 0; i < 300; i++) {
      const a = random(T0), b = random(T0 - 300_000);
      const live = liveExpiries(a);
      const sa = sumOiByRight(a, live), sb = sumOiByRight(b, live);
      assert.equal(velocity(sb.call, sa.call), oiVelocity(a, b, 'C'));
      assert.equal(velocity(sb.put, sa.put), oiVelocity(a, b, 'P'));
    }
  });

  test('pcr_oi_change on E1: Δput (280-350) / Δcall (90-60) = -70/30', () => {
    near(pcrOiChange(now, then, E1), -70 / 30);
  });

  test('pcr_premium on E1: 1.5·280 / (2·90) = 420/180', () => {
    near(pcrPremium(now.contracts.filter((c) => c.expiry === E1)), 420 / 180);
  });

  test('max pain of E1 (one strike, 100) at spot 102: dist -2/102, pull = dist / (1 + 2 days)', () => {
    const f = snapshotFeatures(now, P);
    near(f.max_pain_dist, -2 / 102);
    near(f.max_pain_pull, -2 / 102 / 3);
  });
});
