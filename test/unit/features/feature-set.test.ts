import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Bar } from '../../../schemas/bar.ts';
import { chainFeatures } from '../../../processors/features/chain/chain-features.ts';
import {
  FEATURE_DEFS,
  FEATURE_SET_HASH,
  FEATURE_SET_ID,
  featureSetHash,
  SymbolFeatures,
  type FeatureDef,
} from '../../../processors/features/feature-set.ts';
import { assertClose, loadBars, loadReference } from './reference-data.ts';

const bars = loadBars();
const ref = loadReference();
const ORDER = ['ret_1', 'ret_3', 'ret_9', 'rv_12', 'rsi_14', 'atr_14_pct', 'bb_pctb_20', 'bb_width_20', 'vwap_z_20', 'vol_ratio_20', 'ofi', 'ofi_6', 'pcr_oi', 'pcr_volume', 'atm_iv', 'max_pain_dist'];
const CHAIN = ['pcr_oi', 'pcr_volume', 'atm_iv', 'max_pain_dist'];

describe('FEATURE_DEFS', () => {
  test('names in the model column order, each documented', () => {
    assert.deepEqual(FEATURE_DEFS.map((d) => d.name), ORDER);
    assert.equal(FEATURE_SET_ID, 'core-v1');
    for (const d of FEATURE_DEFS) {
      assert.ok(Number.isInteger(d.version) && d.version >= 1, d.name);
      assert.ok(d.unit.length > 0 && d.doc.length > 0, d.name);
      assert.equal(d.source === 'chain', CHAIN.includes(d.name), d.name);
    }
  });

  test('declared warm-up = first bar with a value in the independent reference', () => {
    for (const d of FEATURE_DEFS.filter((x) => x.source === 'bar')) {
      const first = ref.rows.findIndex((r) => r[d.name] !== null);
      assert.equal(first, d.warmUp - 1, d.name);
    }
  });
});

describe('featureSetHash', () => {
  test('is sha256 of canonical JSON: sorted keys, no whitespace, doc excluded', () => {
    const defs: FeatureDef[] = [{ name: 'a', version: 2, warmUp: 3, unit: 'u', doc: 'ignored', source: 'bar', params: { z: 1, b: 'x' } }];
    const text = '[{"name":"a","params":{"b":"x","z":1},"source":"bar","unit":"u","version":2,"warmUp":3}]';
    assert.equal(featureSetHash(defs), createHash('sha256').update(text).digest('hex'));
    assert.equal(FEATURE_SET_HASH, featureSetHash(FEATURE_DEFS));
    assert.match(FEATURE_SET_HASH, /^[0-9a-f]{64}$/);
  });

  test('any change to a definition changes it; rewording doc or reordering params keys does not', () => {
    const base: FeatureDef[] = FEATURE_DEFS.map((d) => ({ ...d, params: { ...d.params } }));
    const h = featureSetHash(base);
    const edit = (f: (defs: FeatureDef[]) => void): string => {
      const copy: FeatureDef[] = base.map((d) => ({ ...d, params: { ...d.params } }));
      f(copy);
      return featureSetHash(copy);
    };
    const changed = [
      edit((x) => { x[4] = { ...x[4]!, name: 'rsi_15' }; }),
      edit((x) => { x[4] = { ...x[4]!, version: 2 }; }),
      edit((x) => { x[4] = { ...x[4]!, unit: 'fraction' }; }),
      edit((x) => { x[4] = { ...x[4]!, warmUp: 16 }; }),
      edit((x) => { x[6] = { ...x[6]!, params: { n: 20, k: 2.5 } }; }),
      edit((x) => { [x[0], x[1]] = [x[1]!, x[0]!]; }),
      edit((x) => { x.pop(); }),
    ];
    for (const c of changed) assert.notEqual(c, h);
    assert.equal(new Set(changed).size, changed.length);
    assert.equal(edit((x) => { x[4] = { ...x[4]!, doc: 'reworded' }; }), h);
    assert.equal(edit((x) => { x[6] = { ...x[6]!, params: { k: 2, n: 20 } }; }), h);
  });
});

function vectors(f: SymbolFeatures, series: Bar[]): Record<string, number | null>[] {
  return series.map((b) => {
    f.onBar(b);
    return f.vector(null);
  });
}

describe('SymbolFeatures', () => {
  test('bar features equal the pandas reference (rel. 1e-9), keys in column order', () => {
    const out = vectors(new SymbolFeatures(), bars);
    out.forEach((v, i) => {
      assert.deepEqual(Object.keys(v), ORDER);
      for (const name of ref.features) assertClose(v[name] ?? null, ref.rows[i]?.[name] ?? null, `${name}[${i}]`);
      for (const name of CHAIN) assert.equal(v[name], null);
    });
  });

  test('before any bar: all null; chain features come from the given snapshot', () => {
    const f = new SymbolFeatures();
    const empty = f.vector(null);
    assert.deepEqual(Object.values(empty), ORDER.map(() => null));
    const T = bars[0]!.tsEvent;
    const chain = {
      tsEvent: T, tsInit: T, underlying: 'TEST', spot: 100,
      contracts: [
        { expiry: T + 1, strike: 100, right: 'C' as const, bid: null, ask: null, last: null, iv: 0.5, delta: null, gamma: null, openInterest: 4, volume: 2 },
        { expiry: T + 1, strike: 100, right: 'P' as const, bid: null, ask: null, last: null, iv: 0.7, delta: null, gamma: null, openInterest: 2, volume: 1 },
      ],
    };
    f.onBar(bars[0]!);
    const v = f.vector(chain);
    const c = chainFeatures(chain);
    for (const name of CHAIN) assert.equal(v[name], c[name as keyof typeof c]);
    assert.equal(v.pcr_oi, 0.5);
    assert.equal(f.vector(null).pcr_oi, null, 'no stale chain features');
  });

  test('snapshot → JSON → restore continues with identical vectors', () => {
    const whole = vectors(new SymbolFeatures(), bars);
    for (const k of [0, 1, 14, 30, 59]) {
      const a = new SymbolFeatures();
      vectors(a, bars.slice(0, k));
      const b = new SymbolFeatures();
      b.restore(JSON.parse(JSON.stringify(a.snapshot())));
      assert.deepStrictEqual(vectors(b, bars.slice(k)), whole.slice(k), `cut at ${k}`);
    }
  });

  test('reviseLastBar replaces the latest bar in every feature', () => {
    const whole = vectors(new SymbolFeatures(), bars);
    const f = new SymbolFeatures();
    vectors(f, bars.slice(0, 40));
    const wrong = { ...bars[40]!, close: bars[40]!.close * 1.05, high: bars[40]!.high * 1.05, volume: 1, buyVolume: null };
    f.onBar(wrong);
    assert.notDeepEqual(f.vector(null), whole[40]);
    f.reviseLastBar(bars[40]!);
    assert.deepStrictEqual(f.vector(null), whole[40]);
    assert.deepStrictEqual(vectors(f, bars.slice(41)), whole.slice(41));
  });

  test('rejects bars out of time order or of another series, and bad state, without changing', () => {
    const f = new SymbolFeatures();
    vectors(f, bars.slice(0, 25));
    const before = JSON.stringify(f.snapshot());
    assert.throws(() => f.onBar(bars[24]!), RangeError);
    assert.throws(() => f.onBar(bars[3]!), RangeError);
    assert.throws(() => f.onBar({ ...bars[25]!, symbol: 'OTHER' }), RangeError);
    assert.throws(() => f.onBar({ ...bars[25]!, interval: '1m' }), RangeError);
    assert.throws(() => f.reviseLastBar(bars[25]!), RangeError);
    const bad = JSON.parse(before) as { ind: Record<string, unknown> };
    bad.ind.rsi_14 = { state: {} };
    assert.throws(() => f.restore(bad), TypeError);
    assert.equal(JSON.stringify(f.snapshot()), before);
  });
});
