/**
 * core-v2 = core-v1 + ofi_wma_6 (D127): the new column against the independent pandas reference
 * (test/fixtures/features/make_reference.py → reference_core_v2.json) at relative precision 1e-9,
 * the core-v1 columns unchanged, state across snapshot → JSON → restore, and a hash of its own.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Bar } from '../../../schemas/bar.ts';
import { FEATURE_SET_HASH, FEATURE_NAMES, featureSetHash, SymbolFeatures } from '../../../processors/features/feature-set.ts';
import { LinearWeightedMean } from '../../../processors/features/linear-weighted-mean.ts';
import { OrderFlowImbalance } from '../../../processors/features/order-flow-imbalance.ts';
import { CORE_FEATURE_SET, coreFeatureSet } from '../../../processors/features/full/core-feature-set.ts';
import { CORE_V2_FEATURE_DEFS, CORE_V2_FEATURE_SET, CORE_V2_FEATURE_SET_HASH, coreV2FeatureSet, CoreV2FeatureState, OFI_WMA_6_DEF } from '../../../processors/features/full/core-v2-feature-set.ts';
import { featureSetByHash, featureSetById } from '../../../processors/graph.ts';
import { SIGNAL_INTERVALS } from '../../../processors/signal-interval.ts';
import { assertClose, loadBars, loadReference, type Reference } from './reference-data.ts';

const bars = loadBars();
const ref = loadReference();
const refV2 = JSON.parse(readFileSync(new URL('../../fixtures/features/reference_core_v2.json', import.meta.url), 'utf8')) as Reference;
const noChain = (): null => null;

function vectors(f: CoreV2FeatureState, series: Bar[]): Record<string, number | null>[] {
  return series.map((b) => {
    f.onBar(b);
    return f.vector(noChain, b.end);
  });
}

describe('ofi_wma_6 against the pandas reference (rel. 1e-9)', () => {
  test('the reference lines up with the fixture and has nulls around the bar without buyVolume', () => {
    assert.deepEqual(refV2.rows.map((r) => r.tsEvent), bars.map((b) => b.tsEvent));
    assert.deepEqual(refV2.features, ['ofi', 'ofi_wma_6']);
    // Bar 33 has no buyVolume: its OFI is null, so the 6 windows that hold it (bars 33..38) are null.
    assert.deepEqual(refV2.rows.map((r, i) => (r.ofi_wma_6 === null ? i : -1)).filter((i) => i >= 0), [0, 1, 2, 3, 4, 33, 34, 35, 36, 37, 38]);
  });

  test('LinearWeightedMean(6) over OrderFlowImbalance = ofi_wma_6, null exactly where pandas has NaN', () => {
    const ofi = new OrderFlowImbalance();
    const wma = new LinearWeightedMean(6);
    bars.forEach((b, i) => {
      const o = ofi.add(b);
      assertClose(o, refV2.rows[i]?.ofi ?? null, `ofi[${i}]`);
      assertClose(wma.add(o), refV2.rows[i]?.ofi_wma_6 ?? null, `ofi_wma_6[${i}]`);
    });
  });

  test('a worked value: inputs 1..6 (oldest first) give (1·1 + 2·2 + … + 6·6) / 21 = 91/21', () => {
    const wma = new LinearWeightedMean(6);
    [1, 2, 3, 4, 5].forEach((x) => assert.equal(wma.add(x), null));
    assert.equal(wma.add(6), 91 / 21);
    assert.equal(wma.replace(0), 55 / 21);
  });

  test('declared warm-up = first bar with a value in the reference', () => {
    assert.equal(refV2.rows.findIndex((r) => r.ofi_wma_6 !== null), OFI_WMA_6_DEF.warmUp - 1);
  });
});

describe('CoreV2FeatureState', () => {
  test('core-v1 columns exactly as core-v1 computes them, then ofi_wma_6 as the pandas reference', () => {
    const v1 = new SymbolFeatures();
    const out = vectors(new CoreV2FeatureState('5m'), bars);
    out.forEach((v, i) => {
      assert.deepEqual(Object.keys(v), [...CORE_V2_FEATURE_SET.names]);
      v1.onBar(bars[i]!);
      const w = v1.vector(null);
      for (const name of FEATURE_NAMES) assert.equal(v[name], w[name], `${name}[${i}]`);
      for (const name of ref.features) assertClose(v[name] ?? null, ref.rows[i]?.[name] ?? null, `${name}[${i}]`);
      assertClose(v.ofi_wma_6 ?? null, refV2.rows[i]?.ofi_wma_6 ?? null, `ofi_wma_6[${i}]`);
    });
  });

  test('bars of another interval are ignored', () => {
    const f = new CoreV2FeatureState('5m');
    f.onBar({ ...bars[0]!, interval: '1m' });
    assert.ok(Object.values(f.vector(noChain, bars[0]!.end)).every((x) => x === null));
  });

  test('snapshot → JSON → restore continues with identical vectors, from any cut', () => {
    const whole = vectors(new CoreV2FeatureState('5m'), bars);
    for (const k of [0, 1, 3, 6, 34, 40, 59]) {
      const a = new CoreV2FeatureState('5m');
      vectors(a, bars.slice(0, k));
      const b = new CoreV2FeatureState('5m');
      b.restore(JSON.parse(JSON.stringify(a.snapshot())));
      assert.deepStrictEqual(vectors(b, bars.slice(k)), whole.slice(k), `cut at ${k}`);
    }
  });

  test('the OFI window is part of the state: a restored state right after the gap keeps ofi_wma_6 null until bar 39', () => {
    const a = new CoreV2FeatureState('5m');
    vectors(a, bars.slice(0, 36));
    const b = new CoreV2FeatureState('5m');
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    assert.deepEqual(vectors(b, bars.slice(36, 40)).map((v) => v.ofi_wma_6 === null), [true, true, true, false]);
  });

  test('bad state is rejected and leaves the state as it was', () => {
    const f = new CoreV2FeatureState('5m');
    vectors(f, bars.slice(0, 25));
    const before = JSON.stringify(f.snapshot());
    const bad = (mut: (s: Record<string, unknown>) => void): Record<string, unknown> => {
      const s = JSON.parse(before) as Record<string, unknown>;
      mut(s);
      return s;
    };
    assert.throws(() => f.restore(bad((s) => { s.v = 2; })), TypeError);
    assert.throws(() => f.restore(bad((s) => { s.ofi_wma_6 = { window: [0, 'x'] }; })), TypeError);
    assert.throws(() => f.restore(bad((s) => { s.ofi_wma_6 = { window: [0, 0, 0, 0, 0, 0, 0] }; })), RangeError);
    assert.throws(() => f.restore(bad((s) => { delete s.core; })), TypeError);
    assert.throws(() => f.onBar(bars[3]!), RangeError);
    assert.equal(JSON.stringify(f.snapshot()), before);
  });
});

describe('core-v2 as a feature set', () => {
  test('its hash is the hash of its definitions and differs from core-v1\'s at every interval; core-v1 is as it was', () => {
    assert.equal(CORE_V2_FEATURE_SET.id, 'core-v2');
    assert.equal(CORE_V2_FEATURE_SET_HASH, featureSetHash(CORE_V2_FEATURE_DEFS));
    assert.equal(CORE_V2_FEATURE_SET.hash, CORE_V2_FEATURE_SET_HASH);
    assert.equal(CORE_FEATURE_SET.hash, FEATURE_SET_HASH);
    assert.equal(FEATURE_SET_HASH, featureSetHash(CORE_V2_FEATURE_DEFS.slice(0, -1)), 'core-v1 = core-v2 without its last column');
    const v1 = SIGNAL_INTERVALS.map((i) => coreFeatureSet(i).hash);
    const v2 = SIGNAL_INTERVALS.map((i) => coreV2FeatureSet(i).hash);
    assert.equal(new Set([...v1, ...v2]).size, v1.length + v2.length);
    for (const [k, i] of SIGNAL_INTERVALS.entries()) {
      assert.equal(featureSetByHash(v2[k]!).id, 'core-v2');
      assert.equal(featureSetByHash(v2[k]!).signalInterval, i);
      assert.deepEqual(coreV2FeatureSet(i).intervals, coreFeatureSet(i).intervals);
    }
  });

  test('selectable by id; the family name `core` stays core-v1', () => {
    assert.equal(featureSetById('core-v2').hash, CORE_V2_FEATURE_SET_HASH);
    assert.equal(featureSetById('core-v2', '1h').signalInterval, '1h');
    assert.equal(featureSetById('core').id, 'core-v1');
    assert.deepEqual([...CORE_V2_FEATURE_SET.names], [...FEATURE_NAMES, 'ofi_wma_6']);
  });
});
