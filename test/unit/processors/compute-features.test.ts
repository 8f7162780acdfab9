import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CORE_FEATURE_SET } from '../../../processors/features/full/core-feature-set.ts';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { computeFeatures } from '../../../processors/operators/compute-features.ts';
import type { Bar, OptionChainSnapshot } from '../../../schemas/index.ts';

const newScheduler = (): TestScheduler => new TestScheduler((a, e) => assert.deepStrictEqual(a, e));
const M5 = 300_000;

let barOffset = 0;
/** A bar as buildBars would emit it; its input range is one made-up trade offset. */
function bar(symbol: string, interval: '1m' | '5m', end: number, close: number, volume = 4, buyVolume = 3): Flow {
  const start = end - (interval === '1m' ? 60_000 : M5);
  const b: Bar = { tsEvent: end, tsInit: end + 5, symbol, interval, start, end, open: close, high: close, low: close, close, volume, buyVolume, vwap: close, trades: 1 };
  const o = barOffset++;
  return { kind: 'bar', bar: b, inputs: [{ topic: 'trades', partition: 2, fromOffset: o, toOffset: o }] };
}
/**
 * A chain available at tsInit with one call (open interest 4) and one put (open interest putOi) of a
 * live expiry, so the vector's pcr_oi = putOi / 4 tells which chain the join took.
 */
function chain(underlying: string, tsInit: number, putOi: number, offset: number): Flow {
  const k = (right: 'C' | 'P', openInterest: number): OptionChainSnapshot['contracts'][number] => ({
    expiry: 10_000_000, strike: 100, right, bid: null, ask: null, last: null, iv: 0.5, delta: null, gamma: null, openInterest, volume: 1,
  });
  const value: OptionChainSnapshot = { tsEvent: tsInit - 2, tsInit, underlying, spot: 100, contracts: [k('C', 4), k('P', putOi)] };
  return { kind: 'chain', pos: { topic: 'chains', partition: 0, offset }, value };
}

/**
 * What the tests compare: bars and late events whole; feature vectors by structure and the fields
 * that show timing and the chain join (not the long feature record by hand).
 */
function summary(f: Flow): unknown {
  if (f.kind !== 'features') return f;
  const { features, ...head } = f.vector;
  return { kind: 'features', ...head, names: Object.keys(features), ret_1: features.ret_1, ofi: features.ofi, pcr_oi: features.pcr_oi, inputs: f.inputs };
}
const vec = (symbol: string, end: number, extra: { ret_1: number | null; ofi: number; pcr_oi: number | null; inputs: unknown[] }): unknown => ({
  kind: 'features', tsEvent: end, tsInit: end + 5, symbol, interval: '5m', barEnd: end,
  featureSetId: 'core-v1', featureSetHash: CORE_FEATURE_SET.hash, names: [...CORE_FEATURE_SET.names], ...extra,
});
const barRange = (o: number): unknown => ({ topic: 'trades', partition: 2, fromOffset: o, toOffset: o });
const chainRange = (o: number): unknown => ({ topic: 'chains', partition: 0, fromOffset: o, toOffset: o });

describe('computeFeatures (marble)', () => {
  test('bars pass through; a vector follows each 5m bar in the same frame, none after 1m bars', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      barOffset = 0;
      const a = bar('BTC', '1m', 240_000, 99);
      const b = bar('BTC', '1m', M5, 100);
      const c = bar('BTC', '5m', M5, 100, 4, 3); // ofi = 2 * 3 / 4 - 1 = 0.5
      const d = bar('BTC', '1m', 360_000, 101);
      const e = bar('BTC', '5m', 2 * M5, 110, 8, 2); // ofi = 2 * 2 / 8 - 1 = -0.5; ret_1 = ln(110 / 100)
      const stats = newGraphStats();
      const out = cold('a-b-c-----d-e---|', { a, b, c, d, e }).pipe(computeFeatures(CORE_FEATURE_SET, '5m', stats), map(summary));
      expectObservable(out).toBe('a-b-(cv)--d-(ew)|', {
        a, b, c, d, e,
        v: vec('BTC', M5, { ret_1: null, ofi: 0.5, pcr_oi: null, inputs: [barRange(2)] }),
        w: vec('BTC', 2 * M5, { ret_1: Math.log(110 / 100), ofi: -0.5, pcr_oi: null, inputs: [barRange(4)] }),
      });
      flush();
      assert.equal(stats.features, 2);
      assert.equal(stats.late, 0);
    });
  });

  test('the chain join takes the latest chain with tsInit <= bar end, even when a later one arrived first', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      barOffset = 0;
      const k1 = chain('BTC', 290_000, 4, 70); // pcr_oi 1
      const k2 = chain('BTC', M5, 8, 71); // at the bar end exactly: still usable; pcr_oi 2
      const k3 = chain('BTC', 310_000, 12, 72); // after the bar end, arrives before the bar: look-ahead if used; pcr_oi 3
      const x = chain('ETH', 295_000, 40, 73); // another underlying: never joined to BTC
      const b1 = bar('BTC', '5m', M5, 100);
      const b2 = bar('BTC', '5m', 2 * M5, 100);
      const stats = newGraphStats();
      const out = cold('k-l-m-x-b-----c---|', { k: k1, l: k2, m: k3, x, b: b1, c: b2 }).pipe(computeFeatures(CORE_FEATURE_SET, '5m', stats), map(summary));
      // Chains are consumed by the join: they leave nothing in their frames.
      expectObservable(out).toBe('--------(bv)--(cw)|', {
        b: b1,
        c: b2,
        v: vec('BTC', M5, { ret_1: null, ofi: 0.5, pcr_oi: 2, inputs: [barRange(0), chainRange(71)] }),
        w: vec('BTC', 2 * M5, { ret_1: 0, ofi: 0.5, pcr_oi: 3, inputs: [barRange(1), chainRange(72)] }),
      });
      flush();
      assert.deepEqual([stats.features, stats.late], [2, 0]);
    });
  });

  test('with only a chain from after the bar end, the vector has no chain input and null chain features', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      barOffset = 0;
      const k = chain('BTC', M5 + 1, 4, 5);
      const b = bar('BTC', '5m', M5, 100);
      const out = cold('kb---|', { k, b }).pipe(computeFeatures(CORE_FEATURE_SET, '5m', newGraphStats()), map(summary));
      expectObservable(out).toBe('-(bv)|', { b, v: vec('BTC', M5, { ret_1: null, ofi: 0.5, pcr_oi: null, inputs: [barRange(0)] }) });
    });
  });

  test('a chain older (tsInit) than the previous chain of its underlying becomes a late event and is not joined', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      barOffset = 0;
      const k1 = chain('BTC', 280_000, 4, 10); // pcr_oi 1
      const k2 = chain('BTC', 270_000, 8, 11); // out of tsInit order: late
      const b = bar('BTC', '5m', M5, 100);
      const stats = newGraphStats();
      const out = cold('k-l-b---|', { k: k1, l: k2, b }).pipe(computeFeatures(CORE_FEATURE_SET, '5m', stats), map(summary));
      expectObservable(out).toBe('--y-(bv)|', {
        y: {
          kind: 'late',
          late: { tsEvent: 269_998, tsInit: 270_000, symbol: 'BTC', topic: 'chains', partition: 0, offset: 11, watermark: 280_000, reason: "chain tsInit 270000 before the previous chain's 280000" },
        },
        b,
        v: vec('BTC', M5, { ret_1: null, ofi: 0.5, pcr_oi: 1, inputs: [barRange(0), chainRange(10)] }),
      });
      flush();
      assert.deepEqual([stats.features, stats.late], [1, 1]);
    });
  });
});
