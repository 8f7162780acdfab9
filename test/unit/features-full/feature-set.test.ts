/**
 * The pluggable feature sets: CORE_FEATURE_SET is core-v1 unchanged behind FeatureState;
 * FULL_FEATURE_SET (full-v1) has its own hash that follows every definition, keeps nulls before
 * warm-up and never lets NaN/Infinity out, and its whole state snapshots and restores.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar } from '../../../schemas/bar.ts';
import { FEATURE_SET_HASH, FEATURE_NAMES, SymbolFeatures } from '../../../processors/features/feature-set.ts';
import { CORE_FEATURE_SET } from '../../../processors/features/full/core-feature-set.ts';
import { fullFeatureDefs, fullFeatureSetHash, type FullFeatureDef } from '../../../processors/features/full/full-feature-defs.ts';
import { FULL_FEATURE_SET, fullFeatureSet } from '../../../processors/features/full/full-feature-set.ts';
import { asOf, chainStream } from './chain-stream.ts';
import { multiBars } from './multi-bars.ts';

const CORE_V1_HASH = '77475dcb21692abe2a8e6601f5eef8fc87bc3cdfe80015154f494707d37299e4';
const bars = multiBars(12 * 60, 11); // 12 hours
const first = bars[0] as Bar;
const chains = chainStream(first.start, first.start + 12 * 3_600_000, 5, (t) => 100 + ((t / 60_000) % 37) / 10);
const chainAsOf = asOf(chains);

function runAll(set = FULL_FEATURE_SET, input: readonly Bar[] = bars) {
  const st = set.create('X');
  const out: Record<string, number | null>[] = [];
  for (const b of input) {
    st.onBar(b);
    if (b.interval === '5m') out.push(st.vector(chainAsOf, b.end));
  }
  return { st, out };
}

describe('feature-set hashes', () => {
  test(`core-v1 keeps its hash ${CORE_V1_HASH.slice(0, 8)}…, full-v1 has another`, () => {
    assert.equal(FEATURE_SET_HASH, CORE_V1_HASH);
    assert.equal(CORE_FEATURE_SET.hash, CORE_V1_HASH);
    assert.equal(CORE_FEATURE_SET.id, 'core-v1');
    assert.deepEqual(CORE_FEATURE_SET.names, FEATURE_NAMES);
    assert.equal(FULL_FEATURE_SET.id, 'full-v1');
    assert.match(FULL_FEATURE_SET.hash, /^[0-9a-f]{64}$/);
    assert.notEqual(FULL_FEATURE_SET.hash, CORE_V1_HASH);
  });

  test('the full-v1 hash changes when any semantic field of any definition changes, not with doc', () => {
    const defs = fullFeatureDefs();
    const h0 = fullFeatureSetHash('full-v1', defs);
    assert.equal(h0, FULL_FEATURE_SET.hash);
    const edits: Array<(d: FullFeatureDef) => FullFeatureDef> = [
      (d) => ({ ...d, name: `${d.name}x` }),
      (d) => ({ ...d, version: d.version + 1 }),
      (d) => ({ ...d, warmUp: d.warmUp + 1 }),
      (d) => ({ ...d, unit: `${d.unit}!` }),
      (d) => ({ ...d, interval: d.interval === null ? '5m' : null }),
      (d) => ({ ...d, source: d.source === 'bar' ? 'chain' : 'bar' }),
      (d) => ({ ...d, params: { ...d.params, extra: 1 } }),
    ];
    const seen = new Set([h0]);
    defs.forEach((d, i) => {
      for (const edit of edits) {
        const h = fullFeatureSetHash('full-v1', defs.map((x, j) => (j === i ? edit(x) : x)));
        assert.ok(!seen.has(h), `edit of ${d.name} must give a new hash`);
        seen.add(h);
      }
      assert.equal(fullFeatureSetHash('full-v1', defs.map((x, j) => (j === i ? { ...x, doc: 'reworded' } : x))), h0);
    });
    // Reordering columns is a change too.
    assert.notEqual(fullFeatureSetHash('full-v1', [defs[1], defs[0], ...defs.slice(2)] as FullFeatureDef[]), h0);
  });

  test('options are params: another calendar, multiplier, rate or IV lookback gives another hash', () => {
    const hashes = [
      FULL_FEATURE_SET.hash,
      fullFeatureSet({ calendar: 'nse' }).hash,
      fullFeatureSet({ contractMultiplier: 75 }).hash,
      fullFeatureSet({ rate: 0.065 }).hash,
      fullFeatureSet({ ivLookback: 75 }).hash,
    ];
    assert.equal(new Set(hashes).size, hashes.length);
    assert.throws(() => fullFeatureSet({ calendar: 'lse' }), RangeError);
    assert.throws(() => fullFeatureSet({ contractMultiplier: 0 }), RangeError);
  });

  test('names are unique, follow the definitions, and are the vector keys in order', () => {
    const names = FULL_FEATURE_SET.names;
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(names, fullFeatureDefs().map((d) => d.name));
    const { out } = runAll();
    assert.deepEqual(Object.keys(out.at(-1) ?? {}), [...names]);
  });
});

describe('CORE_FEATURE_SET adapter', () => {
  test('equals SymbolFeatures fed the 5m bars with chainAsOf(barEnd); other intervals are ignored', () => {
    const { out } = runAll(CORE_FEATURE_SET);
    const sf = new SymbolFeatures();
    const direct = bars.filter((b) => b.interval === '5m').map((b) => {
      sf.onBar(b);
      return sf.vector(chainAsOf(b.end));
    });
    assert.deepStrictEqual(out, direct);
    assert.ok(direct.some((v) => v.pcr_oi !== null) && direct.some((v) => v.rsi_14 !== null));
  });
});

describe('full-v1 state', () => {
  const { out } = runAll();
  const defs = fullFeatureDefs();

  test('bar features are null before their warm-up and set after it on a clean series', () => {
    for (const d of defs.filter((x) => x.source === 'bar' && x.interval === '5m')) {
      out.forEach((v, i) => {
        if (i < d.warmUp - 1) assert.equal(v[d.name], null, `${d.name} at 5m bar ${i}`);
        else if (d.name !== 'vol_price_confirm' || v.ret_1 !== 0) assert.notEqual(v[d.name], null, `${d.name} at 5m bar ${i}`);
      });
    }
  });

  test('chain and time features are available with a chain; IV rank after ivMinPeriods closes', () => {
    const last = out.at(-1) as Record<string, number | null>;
    for (const d of defs.filter((x) => x.source !== 'bar')) {
      if (d.name === 'gamma_flip' || d.name === 'gamma_flip_dist') continue; // may have no sign change
      assert.notEqual(last[d.name], null, d.name);
    }
    assert.equal(out[18]?.atm_iv_rank, null);
    assert.notEqual(out[19]?.atm_iv_pctl, null);
  });

  test('time features: crypto minutes since 00:00 UTC, weekday (2024-01-01 is a Monday), hours to expiry', () => {
    const t = first.start + (10 * 60 + 35) * 60_000;
    const i = (t - first.start) / 300_000 - 1;
    assert.equal(out[i]?.minutes_since_open, 635);
    assert.equal(out[i]?.day_of_week, 1);
    assert.equal(out[i]?.hours_to_expiry, 72 - (10 + 35 / 60));
  });

  test('NSE calendar: 10:15 IST on Tue 2024-01-02 is 60 minutes after the 09:15 open; null at 08:00', () => {
    const set = fullFeatureSet({ calendar: 'nse' });
    const st = set.create('X');
    const at = (t: number) => {
      st.onBar({ ...first, interval: '5m', start: t - 300_000, end: t, tsEvent: t, tsInit: t });
      return st.vector(() => null, t);
    };
    assert.equal(at(Date.UTC(2024, 0, 2, 2, 30)).minutes_since_open, null); // 08:00 IST
    const v = at(Date.UTC(2024, 0, 2, 4, 45)); // 10:15 IST
    assert.equal(v.minutes_since_open, 60);
    assert.equal(v.day_of_week, 2);
  });

  test('degenerate input (flat prices, zero volume, no buy volume) gives nulls, never NaN/Infinity', () => {
    const st = FULL_FEATURE_SET.create('X');
    const flat = bars.map((b) => ({ ...b, open: 5, high: 5, low: 5, close: 5, vwap: 5, volume: 0, buyVolume: null }));
    const zeroChain = chains.map((c) => ({ ...c, contracts: c.contracts.map((k) => ({ ...k, openInterest: 0, volume: 0, iv: null, last: null })) }));
    for (const b of flat) {
      st.onBar(b);
      if (b.interval !== '5m') continue;
      for (const [k, x] of Object.entries(st.vector(asOf(zeroChain), b.end))) {
        assert.ok(x === null || Number.isFinite(x), `${k} = ${String(x)}`);
      }
    }
  });

  test('vector() twice at the same barEnd gives the same record (the IV rank replaces, not adds)', () => {
    const st = FULL_FEATURE_SET.create('X');
    for (const b of bars) {
      st.onBar(b);
      if (b.interval === '5m') assert.deepStrictEqual(st.vector(chainAsOf, b.end), st.vector(chainAsOf, b.end));
    }
    assert.throws(() => st.vector(chainAsOf, (bars.at(-1) as Bar).end - 300_000), RangeError);
  });

  test('snapshot → JSON → restore of the whole state continues identically', () => {
    for (const cut of [0, 37, 400, 700, bars.length - 2]) {
      const a = FULL_FEATURE_SET.create('X');
      const before: Record<string, number | null>[] = [];
      for (const b of bars.slice(0, cut)) {
        a.onBar(b);
        if (b.interval === '5m') before.push(a.vector(chainAsOf, b.end));
      }
      const b2 = FULL_FEATURE_SET.create('X');
      b2.restore(JSON.parse(JSON.stringify(a.snapshot())));
      const rest: Record<string, number | null>[] = [];
      for (const b of bars.slice(cut)) {
        b2.onBar(b);
        if (b.interval === '5m') rest.push(b2.vector(chainAsOf, b.end));
      }
      assert.deepStrictEqual([...before, ...rest], out, `cut at ${cut}`);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(b2.snapshot())), JSON.parse(JSON.stringify(runAll().st.snapshot())));
    }
    assert.throws(() => FULL_FEATURE_SET.create('Y').restore(FULL_FEATURE_SET.create('X').snapshot()), TypeError);
    assert.throws(() => FULL_FEATURE_SET.create('X').restore({ v: 1 }), TypeError);
  });
});
