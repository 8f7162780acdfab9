/**
 * D162: the full set's per-vector steps made cheaper compute the same numbers, bit for bit. Each
 * is compared with the code it replaced, kept here as the reference (copied from the previous
 * version of its module), on random inputs drawn with the seeded Rng: fractional open interest and
 * IVs so that a change in the order of additions would show in the last bits.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { normPdf } from '../../../processors/math/black-scholes.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { gammaFlip, GAMMA_FLIP_GRID, type GammaFlipGrid } from '../../../processors/features/full/chain/gamma-exposure.ts';
import { liveExpiries, oiVelocity, pcrOiChange, sumOiAt } from '../../../processors/features/full/chain/oi-flow.ts';
import { expiriesOf, resolveChain, type PricingAssumptions, type ResolvedContract } from '../../../processors/features/full/chain/resolved-chain.ts';
import { nearestLiveExpiry } from '../../../processors/features/chain/live-expiry.ts';
import { FULL_FEATURE_SET } from '../../../processors/features/full/full-feature-set.ts';
import { IvRank } from '../../../processors/features/full/iv-rank.ts';
import { RingWindow } from '../../../processors/features/ring-window.ts';
import { chain, DAY, T0, type ContractSpec } from './chain-builders.ts';
import { multiBars } from './multi-bars.ts';

/** gammaFlip as of D139 (levels outside, contracts inside, normPdf called, arrays per call). */
function gammaFlipD139(rs: readonly ResolvedContract[], spot: number, p: PricingAssumptions, grid: GammaFlipGrid = GAMMA_FLIP_GRID): number | null {
  if (!(spot > 0)) return null;
  const a = new Float64Array(rs.length), b = new Float64Array(rs.length), w = new Float64Array(rs.length);
  let n = 0;
  for (const r of rs) {
    if (r.sigma === null || r.c.openInterest === 0) continue;
    const sd = r.sigma * Math.sqrt(r.t);
    a[n] = Math.log(r.c.strike) - (p.rate - p.dividendYield + 0.5 * r.sigma * r.sigma) * r.t;
    b[n] = sd;
    const sign = r.c.right === 'C' ? 1 : -1;
    w[n] = (sign * Math.exp(-p.dividendYield * r.t) * r.c.openInterest * p.multiplier) / sd;
    n++;
  }
  if (n === 0) return null;
  const levels = new Float64Array(grid.steps + 1);
  const values = new Float64Array(grid.steps + 1);
  for (let i = 0; i <= grid.steps; i++) {
    const s = spot * (1 - grid.range + (2 * grid.range * i) / grid.steps);
    const ls = Math.log(s);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += (w[j] as number) * normPdf((ls - (a[j] as number)) / (b[j] as number));
    levels[i] = s;
    values[i] = sum * s * 0.01;
  }
  let best: number | null = null;
  for (let i = 0; i < grid.steps; i++) {
    const s0 = levels[i] as number, s1 = levels[i + 1] as number;
    const g0 = values[i] as number, g1 = values[i + 1] as number;
    let cross: number | null = null;
    if (g0 === 0 && g1 === 0) continue;
    if (g0 === 0) cross = s0;
    else if (g1 === 0) cross = s1;
    else if (g0 < 0 !== g1 < 0) cross = s0 + ((s1 - s0) * g0) / (g0 - g1);
    if (cross !== null && Number.isFinite(cross) && (best === null || Math.abs(cross - spot) < Math.abs(best - spot))) best = cross;
  }
  return best;
}

const EXPIRIES = [T0 - DAY, T0, T0 + DAY / 8, T0 + DAY, T0 + 7 * DAY, T0 + 30 * DAY];

/** A random chain around `spot`: 0..maxContracts contracts over some of EXPIRIES (expired ones included). */
function randomChain(rng: Rng, t: number, spot: number, maxContracts: number): OptionChainSnapshot {
  const n = Math.floor(rng.next() * (maxContracts + 1));
  const specs: ContractSpec[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    specs.push({
      expiry: EXPIRIES[Math.floor(rng.next() * EXPIRIES.length)] as number,
      strike: Math.round(spot * (0.8 + 0.4 * rng.next())),
      right: rng.next() < 0.5 ? 'C' : 'P',
      oi: rng.next() < 0.1 ? 0 : (rng.next() * 1e5) / 3,
      iv: u < 0.1 ? null : 0.05 + rng.next() * 0.8,
      last: u < 0.05 ? spot * 0.02 * rng.next() : null,
    });
  }
  return chain(t, spot, specs);
}

describe('gamma flip (D162: loops swapped, scratch reused) equals the D139 code bit for bit', () => {
  test('2,000 random chains of 0-130 contracts, three grids, two pricing assumptions', () => {
    const rng = new Rng(162);
    const grids: GammaFlipGrid[] = [GAMMA_FLIP_GRID, { range: 0.05, steps: 7 }, { range: 0.2, steps: 90 }];
    const pricings: PricingAssumptions[] = [{ rate: 0, dividendYield: 0, multiplier: 1 }, { rate: 0.065, dividendYield: 0.013, multiplier: 75 }];
    let flips = 0;
    for (let i = 0; i < 2000; i++) {
      const spot = 50 + rng.next() * 200;
      const snap = randomChain(rng, T0, spot, i % 10 === 0 ? 130 : 60);
      const p = pricings[i % 2] as PricingAssumptions;
      const rs = resolveChain(snap, p);
      for (const g of grids) {
        const want = gammaFlipD139(rs, spot, p, g);
        const got = gammaFlip(rs, spot, p, g);
        assert.ok(Object.is(got, want), `chain ${i}, grid ${g.steps}: got ${String(got)}, want ${String(want)}`);
        if (want !== null) flips++;
      }
    }
    // Both kinds of answer are exercised: a flip inside the grid and none.
    assert.ok(flips > 500 && flips < 5500, `flips found: ${flips}`);
  });

  test('a spot that is not positive, and chains without usable contracts, give null as before', () => {
    const p = { rate: 0, dividendYield: 0, multiplier: 1 };
    const rs = resolveChain(chain(T0, 100, [{ expiry: T0 + DAY, strike: 100, right: 'C', oi: 10, iv: 0.2 }]), p);
    for (const spot of [0, -1, Number.NaN]) assert.equal(gammaFlip(rs, spot, p), gammaFlipD139(rs, spot, p));
    const noOi = resolveChain(chain(T0, 100, [{ expiry: T0 + DAY, strike: 100, right: 'C', oi: 0, iv: 0.2 }]), p);
    assert.equal(gammaFlip(noOi, 100, p), null);
    assert.equal(gammaFlip([], 100, p), null);
  });
});

test('expiriesOf (one pass, no Set) gives the distinct expiries ascending, as the Set and sort did', () => {
  const rng = new Rng(5);
  const p = { rate: 0, dividendYield: 0, multiplier: 1 };
  for (let i = 0; i < 500; i++) {
    const rs = resolveChain(randomChain(rng, T0, 100, 40), p);
    assert.deepEqual(expiriesOf(rs), [...new Set(rs.map((r) => r.c.expiry))].sort((a, b) => a - b));
  }
});

test('IvRank (storage scan) equals a rank and percentile computed from toArray(), through wrap-around, nulls and replace()', () => {
  const rng = new Rng(11);
  const r = new IvRank(17, 5);
  for (let i = 0; i < 3000; i++) {
    const iv = rng.next() < 0.1 ? null : Math.round(rng.next() * 50) / 100; // ties on purpose
    const got = rng.next() < 0.2 ? r.replace(iv) : r.add(iv);
    const window = (r.snapshot() as { values: number[] }).values;
    const stored = iv !== null;
    if (!stored || window.length < 5) {
      assert.equal(got, null);
      continue;
    }
    const x = window[window.length - 1] as number;
    const min = Math.min(...window), max = Math.max(...window);
    const rank = max === min ? null : (x - min) / (max - min);
    assert.deepEqual(got, { rank, percentile: window.filter((v) => v < x).length / (window.length - 1) });
  }
});

test('sumOiAt equals pcrOiChange\'s per-right sums over one expiry (same additions, same order)', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 300; i++) {
    const now = randomChain(rng, T0, 100, 50), then = randomChain(rng, T0 - 300_000, 100, 50);
    const e0 = nearestLiveExpiry(now);
    if (e0 === null) continue;
    const a = sumOiAt(now, e0), b = sumOiAt(then, e0);
    const dc = a.call - b.call;
    const r = dc === 0 ? null : (a.put - b.put) / dc;
    assert.ok(Object.is(Number.isFinite(r) ? r : null, pcrOiChange(now, then, e0)));
  }
});

describe('full-v1 vectors: the OI columns from the recent chains\' sums equal oi-flow.ts on the chains as of each close', () => {
  // One chain a minute whose contracts (and so live expiries and the nearest expiry) change now and
  // then, so the as-of chains 5 and 15 minutes back are sometimes the sums kept, sometimes not.
  const bars = multiBars(6 * 60, 4);
  const first = bars[0] as Bar;
  const rng = new Rng(21);
  const chains: OptionChainSnapshot[] = [];
  const expiryBase = first.start + DAY / 4;
  let expiries = [expiryBase, expiryBase + DAY];
  for (let t = first.start; t <= first.start + 6 * 3_600_000; t += 60_000) {
    if (rng.next() < 0.05) expiries = rng.next() < 0.5 ? [expiryBase + DAY] : [expiryBase, expiryBase + DAY, expiryBase + 7 * DAY];
    const specs: ContractSpec[] = [];
    for (const e of expiries) for (const k of [90, 95, 100, 105, 110]) for (const right of ['C', 'P'] as const) specs.push({ expiry: e, strike: k, right, oi: (1000 + rng.next() * 1e4) / 3, iv: 0.2 + 0.1 * rng.next() });
    if (rng.next() < 0.1) continue; // a missing minute: the chain as of t - 5m is then an older one
    chains.push({ ...chain(t, 100 + rng.normal(), specs), underlying: 'X' });
  }
  const chainAsOf = (t: number): OptionChainSnapshot | null => {
    let best: OptionChainSnapshot | null = null;
    for (const c of chains) if (c.tsInit <= t) best = c;
    return best;
  };
  const names = ['pcr_oi_change', 'oi_vel_call_5m', 'oi_vel_put_5m', 'oi_vel_call_15m', 'oi_vel_put_15m'] as const;

  test('every 5-minute close of 6 hours, and again after a snapshot/restore midway', () => {
    const st = FULL_FEATURE_SET.create('X');
    let restoredAt = -1;
    let checked = 0;
    for (let i = 0; i < bars.length; i++) {
      const b = bars[i] as Bar;
      st.onBar(b);
      if (b.interval !== '5m') continue;
      const v = st.vector(chainAsOf, b.end);
      const now = chainAsOf(b.end);
      if (now !== null) {
        const c5 = chainAsOf(b.end - 5 * 60_000), c15 = chainAsOf(b.end - 15 * 60_000);
        const e0 = nearestLiveExpiry(now);
        const want = {
          pcr_oi_change: e0 === null ? null : pcrOiChange(now, c5, e0),
          oi_vel_call_5m: oiVelocity(now, c5, 'C'),
          oi_vel_put_5m: oiVelocity(now, c5, 'P'),
          oi_vel_call_15m: oiVelocity(now, c15, 'C'),
          oi_vel_put_15m: oiVelocity(now, c15, 'P'),
        };
        for (const n of names) assert.ok(Object.is(v[n], want[n]), `${n} at ${b.end}: got ${String(v[n])}, want ${String(want[n])}`);
        if (want.oi_vel_call_15m !== null) checked++;
        assert.ok(liveExpiries(now).size > 0);
      }
      if (restoredAt < 0 && b.end - first.start >= 3 * 3_600_000) {
        st.restore(JSON.parse(JSON.stringify(st.snapshot())));
        restoredAt = b.end;
      }
    }
    assert.ok(restoredAt > 0);
    assert.ok(checked > 50, `closes with every OI column set: ${checked}`);
  });
});

test('RingWindow without a modulo per access (D162) holds what a plain array model holds, and refuses the same indexes', () => {
  const rng = new Rng(8);
  for (const cap of [1, 2, 3, 7, 20]) {
    const w = new RingWindow<number>(cap);
    let model: number[] = [];
    for (let step = 0; step < 2000; step++) {
      const u = rng.next();
      if (u < 0.7) {
        const v = rng.next();
        w.push(v);
        model = [...model, v].slice(-cap);
      } else if (u < 0.85 && model.length > 0) {
        const v = rng.next();
        w.replaceLast(v);
        model[model.length - 1] = v;
      } else if (u < 0.9) {
        const keep = model.slice(Math.floor(rng.next() * (model.length + 1)));
        w.load(keep);
        model = keep;
      }
      assert.deepEqual(w.toArray(), model);
      assert.equal(w.length, model.length);
      for (let i = 0; i < model.length; i++) assert.equal(w.at(i), model[i]);
      let k = w.first;
      for (let i = 0; i < model.length; i++) {
        assert.equal(w.slot(k), model[i]);
        if (++k === cap) k = 0;
      }
      for (const bad of [-1, model.length, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => w.at(bad), RangeError);
    }
  }
});
