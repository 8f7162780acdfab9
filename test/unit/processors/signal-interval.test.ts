import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { SIGNAL_INTERVAL_NAMES } from '../../../cli/flags.ts';
import { CoarseCandleError } from '../../../processors/bars/coarse-candle-error.ts';
import { CORE_FEATURE_SET, coreFeatureSet, FULL_FEATURE_SET, fullFeatureSet } from '../../../processors/features/full/index.ts';
import { featureSetByHash, featureSetById, graphConfigFor } from '../../../processors/graph.ts';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { DEFAULT_LABEL_CONFIG, labelConfigFor } from '../../../processors/labels.ts';
import { buildBars } from '../../../processors/operators/build-bars.ts';
import { mtfIntervals, SIGNAL_INTERVALS } from '../../../processors/signal-interval.ts';
import { intervalMs, type Bar } from '../../../schemas/index.ts';

describe('signal intervals', () => {
  test('the CLI list is the processors list', () => {
    assert.deepEqual([...SIGNAL_INTERVAL_NAMES], [...SIGNAL_INTERVALS]);
  });

  test('multi-timeframe intervals are relative: 5m keeps full-v1 original 1m, 15m, 1h', () => {
    assert.deepEqual(mtfIntervals('5m'), ['1m', '15m', '1h']);
    assert.deepEqual(mtfIntervals('1m'), ['5m', '15m']);
    assert.deepEqual(mtfIntervals('1h'), ['15m', '4h', '1d']);
    assert.deepEqual(mtfIntervals('1d'), ['4h']);
  });

  test('at 5m both feature sets are the ones models were trained on (same hash, names, intervals)', () => {
    assert.equal(coreFeatureSet('5m').hash, CORE_FEATURE_SET.hash);
    assert.equal(fullFeatureSet({ signalInterval: '5m' }).hash, FULL_FEATURE_SET.hash);
    assert.deepEqual([...FULL_FEATURE_SET.intervals], ['1m', '5m', '15m', '1h']);
    assert.deepEqual([...CORE_FEATURE_SET.intervals], ['1m', '5m']);
    assert.equal(graphConfigFor(FULL_FEATURE_SET).signalInterval, '5m');
  });

  test('every (set, interval) has its own hash and is found again by it', () => {
    const hashes = new Set<string>();
    for (const id of ['core', 'full']) {
      for (const i of SIGNAL_INTERVALS) {
        const fs = featureSetById(id, i);
        assert.equal(fs.signalInterval, i);
        assert.ok(!hashes.has(fs.hash), `${id} ${i} repeats a hash`);
        hashes.add(fs.hash);
        assert.equal(featureSetByHash(fs.hash).signalInterval, i);
        assert.equal(graphConfigFor(fs).signalInterval, i);
        // The aggregator needs each interval a multiple of the first.
        const ms = fs.intervals.map(intervalMs);
        for (const m of ms) assert.equal(m % (ms[0] as number), 0, `${id} ${i}: ${fs.intervals.join(',')}`);
      }
    }
  });

  test('full-v1 at 1h names its multi-timeframe columns after 15m, 4h and 1d', () => {
    const names = fullFeatureSet({ signalInterval: '1h' }).names;
    for (const n of ['ret_1', 'ret_1_15m', 'rsi_14_4h', 'bb_pctb_20_1d']) assert.ok(names.includes(n), n);
    assert.ok(!names.includes('ret_1_1h'));
    assert.equal(names.length, FULL_FEATURE_SET.names.length);
  });

  test('labels: 6 bars at every interval; the FLAT band scales with sqrt(bar length), exact at 5m', () => {
    assert.equal(labelConfigFor(5 * 60_000), DEFAULT_LABEL_CONFIG);
    const d = labelConfigFor(86_400_000);
    assert.equal(d.horizonBars, 6);
    assert.ok(Math.abs(d.flatBand - 0.0015 * Math.sqrt(288)) < 1e-15, String(d.flatBand));
  });
});

describe('candles coarser than the signal interval', () => {
  const candle = (interval: string, start: number): Flow => {
    const ms = intervalMs(interval);
    const value: Bar = { tsEvent: start + ms, tsInit: start + ms, symbol: 'BTC', interval, start, end: start + ms, open: 1, high: 1, low: 1, close: 1, volume: 1, buyVolume: null, vwap: 1, trades: 1 };
    return { kind: 'candle', pos: { topic: 'candles', partition: 0, offset: 0 }, value };
  };

  test('a daily candle at a 5m signal interval stops the replay with a message naming --interval', async () => {
    const run = lastValueFrom(from([candle('1d', 0)]).pipe(buildBars(graphConfigFor(CORE_FEATURE_SET).bars, newGraphStats(), undefined, intervalMs('5m')), toArray()));
    await assert.rejects(run, (e: unknown) => e instanceof CoarseCandleError && /1d candles, coarser than the signal interval 5m; replay with --interval 1d/.test(e.message));
  });

  test('the same candle at a 1d signal interval is the 1d bar', async () => {
    const fs = coreFeatureSet('1d');
    const out = await lastValueFrom(from([candle('1d', 0), candle('1d', 86_400_000)]).pipe(buildBars(graphConfigFor(fs).bars, newGraphStats(), undefined, intervalMs('1d')), toArray()));
    const bars = out.filter((f) => f.kind === 'bar');
    assert.deepEqual(bars.map((b) => (b.kind === 'bar' ? [b.bar.interval, b.bar.end] : null)), [['1d', 86_400_000], ['1d', 2 * 86_400_000]]);
  });
});
