import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { buildBars } from '../../../processors/operators/build-bars.ts';
import { BarAggregator } from '../../../processors/bars/bar-aggregator.ts';
import type { OptionChainSnapshot, Trade } from '../../../schemas/index.ts';

const cfg = { intervals: ['1m', '5m'], maxOutOfOrdernessMs: 2_000 };
let offset = 0;
function trade(symbol: string, tsEvent: number, price: number, size = 1, side: 'BUY' | 'SELL' = 'BUY'): Flow {
  const value: Trade = { tsEvent, tsInit: tsEvent + 5, symbol, price, size, side, tradeId: offset };
  return { kind: 'trade', pos: { topic: 'trades', partition: symbol === 'BTC' ? 2 : 1, offset: offset++ }, value };
}
/** { a: flows[0], b: flows[1], ... } for a marble diagram. */
function marbleValues(flows: Flow[], letters: string): Record<string, Flow> {
  return Object.fromEntries([...letters].map((l, i) => [l, flows[i] as Flow]));
}
const newScheduler = (): TestScheduler => new TestScheduler((a, e) => assert.deepStrictEqual(a, e));

/** Marble frames are arrival order; event times live in the values. */
describe('buildBars (marble)', () => {
  test('a window closes when the watermark passes its end, stamped at its end', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      offset = 0;
      const a = trade('BTC', 10_000, 100, 1, 'BUY');
      const b = trade('BTC', 50_000, 102, 3, 'SELL');
      const c = trade('BTC', 61_000, 101); // watermark 59 000 < 60 000: still open
      const d = trade('BTC', 62_000, 103); // watermark 60 000: [0, 60 000) closes now
      const stats = newGraphStats();
      const out = cold('a-b-c-d|', { a, b, c, d }).pipe(buildBars(cfg, stats));
      expectObservable(out).toBe('------x|', {
        x: {
          kind: 'bar',
          bar: {
            tsEvent: 60_000, tsInit: 62_005, symbol: 'BTC', interval: '1m', start: 0, end: 60_000,
            open: 100, high: 102, low: 100, close: 102, volume: 4, buyVolume: 1, vwap: (100 + 306) / 4, trades: 2,
          },
          inputs: [{ topic: 'trades', partition: 2, fromOffset: 0, toOffset: 1 }],
        },
      });
    });
  });

  test('an out-of-order trade within the bound joins its window; open/close follow event time', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      offset = 0;
      const a = trade('BTC', 30_000, 100);
      const b = trade('BTC', 61_000, 110); // next window; watermark 59 000
      const c = trade('BTC', 59_500, 105); // arrives after b but still on time: the latest in event time
      const d = trade('BTC', 20_000, 90); // earlier than a: becomes the open
      const e = trade('BTC', 63_000, 111); // watermark 61 000 closes [0, 60 000)
      const stats = newGraphStats();
      const out = cold('abcde|', { a, b, c, d, e }).pipe(buildBars(cfg, stats));
      expectObservable(out).toBe('----x|', {
        x: {
          kind: 'bar',
          bar: {
            tsEvent: 60_000, tsInit: 63_005, symbol: 'BTC', interval: '1m', start: 0, end: 60_000,
            open: 90, high: 105, low: 90, close: 105, volume: 3, buyVolume: 3, vwap: (100 + 105 + 90) / 3, trades: 3,
          },
          inputs: [{ topic: 'trades', partition: 2, fromOffset: 0, toOffset: 3 }],
        },
      });
    });
  });

  test('a trade whose window already closed is routed to late events, not dropped', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      offset = 0;
      const a = trade('BTC', 10_000, 100);
      const b = trade('BTC', 62_000, 101); // closes [0, 60 000)
      const c = trade('BTC', 30_000, 99); // late for the closed window
      const stats = newGraphStats();
      const out = cold('a-b-c|', { a, b, c }).pipe(buildBars(cfg, stats));
      expectObservable(out).toBe('--x-y|', {
        x: {
          kind: 'bar',
          bar: { tsEvent: 60_000, tsInit: 62_005, symbol: 'BTC', interval: '1m', start: 0, end: 60_000, open: 100, high: 100, low: 100, close: 100, volume: 1, buyVolume: 1, vwap: 100, trades: 1 },
          inputs: [{ topic: 'trades', partition: 2, fromOffset: 0, toOffset: 0 }],
        },
        y: {
          kind: 'late',
          late: { tsEvent: 30_000, tsInit: 30_005, symbol: 'BTC', topic: 'trades', partition: 2, offset: 2, watermark: 60_000, reason: 'window 1m ending 60000 closed at watermark 60000' },
        },
      });
    });
  });

  test('watermarks are per symbol: an idle symbol holds no other back, and closes on its own next trade', () => {
    offset = 0;
    const stats = newGraphStats();
    const seen: Flow[] = [];
    new TestScheduler(() => undefined).run(({ cold }) => {
      const values = { e: trade('ETH', 10_000, 10), a: trade('BTC', 20_000, 100), b: trade('BTC', 302_500, 101), f: trade('ETH', 303_000, 11) };
      cold('eabf|', values).pipe(buildBars(cfg, stats)).subscribe((x) => seen.push(x));
    });
    const bars = seen.filter((x) => x.kind === 'bar').map((x) => (x.kind === 'bar' ? `${x.bar.symbol}:${x.bar.interval}:${x.bar.end}:${x.bar.tsInit}` : ''));
    // BTC's own trade at 302.5 s closes BTC's windows, while ETH is idle; ETH's close on ETH's next
    // trade, each bar stamped with the tsInit of its own symbol's trade that closed it.
    assert.deepEqual(bars, ['BTC:1m:60000:302505', 'BTC:5m:300000:302505', 'ETH:1m:60000:303005', 'ETH:5m:300000:303005']);
    assert.equal(stats.late, 0);
  });
});

describe('buildBars with imported candles', () => {
  const candle = (symbol: string, start: number, o: number, h: number, l: number, c: number, v: number, buy: number | null): Flow => {
    const end = start + 60_000;
    return {
      kind: 'candle',
      pos: { topic: 'candles', partition: 0, offset: offset++ },
      value: { tsEvent: end, tsInit: end, symbol, interval: '1m', start, end, open: o, high: h, low: l, close: c, volume: v, buyVolume: buy, vwap: (h + l + c) / 3, trades: 10 },
    };
  };

  test('1m candles pass through as 1m bars and build the 5m bar the moment its last minute arrives', () => {
    offset = 0;
    const seen: Flow[] = [];
    const stats = newGraphStats();
    const input = [0, 1, 2, 3, 4].map((m) => candle('AVAX', m * 60_000, 10 + m, 11 + m, 9 + m, 10.5 + m, 100, 40));
    new TestScheduler(() => undefined).run(({ cold }) => {
      cold('abcde|', marbleValues(input, 'abcde')).pipe(buildBars(cfg, stats)).subscribe((x) => seen.push(x));
    });
    const bars = seen.flatMap((x) => (x.kind === 'bar' ? [x.bar] : []));
    assert.deepEqual(bars.map((b) => `${b.interval}:${b.end}`), ['1m:60000', '1m:120000', '1m:180000', '1m:240000', '1m:300000', '5m:300000']);
    const five = bars[5];
    assert.ok(five);
    // Aggregation by hand: open of the first minute, close of the last, extremes, sums.
    assert.deepEqual([five.open, five.high, five.low, five.close, five.volume, five.buyVolume, five.trades], [10, 15, 9, 14.5, 500, 200, 50]);
    assert.equal(five.tsInit, 300_000);
  });

  test('a candle for a minute already closed is late; a candle without taker volume makes buyVolume null', () => {
    offset = 0;
    const seen: Flow[] = [];
    const stats = newGraphStats();
    const input = [candle('X', 0, 1, 2, 0.5, 1.5, 10, null), candle('X', 60_000, 1.5, 2, 1, 1.2, 10, 5), candle('X', 0, 1, 2, 0.5, 1.5, 10, null)];
    new TestScheduler(() => undefined).run(({ cold }) => {
      cold('abc|', marbleValues(input, 'abc')).pipe(buildBars({ intervals: ['1m', '2m'], maxOutOfOrdernessMs: 2_000 }, stats)).subscribe((x) => seen.push(x));
    });
    const two = seen.find((x) => x.kind === 'bar' && x.bar.interval === '2m');
    assert.ok(two?.kind === 'bar');
    assert.equal(two.bar.buyVolume, null);
    assert.equal(stats.late, 1);
    assert.equal(seen[seen.length - 1]?.kind, 'late');
  });
});

describe('bar lineage', () => {
  /** A chain snapshot of `underlying` with spot `spot` and no contracts, at log position chains/0/offset. */
  const chain = (underlying: string, tsEvent: number, spot: number, chainOffset: number): Flow => {
    const value: OptionChainSnapshot = { tsEvent, tsInit: tsEvent + 5, underlying, spot, contracts: [] };
    return { kind: 'chain', pos: { topic: 'chains', partition: 0, offset: chainOffset }, value };
  };
  const barsOf = (input: Flow[]): Extract<Flow, { kind: 'bar' }>[] => {
    const seen: Flow[] = [];
    new TestScheduler(() => undefined).run(({ cold }) => {
      const letters = 'abcdefghij'.slice(0, input.length);
      cold(`${letters}|`, marbleValues(input, letters)).pipe(buildBars(cfg, newGraphStats())).subscribe((x) => seen.push(x));
    });
    return seen.flatMap((x) => (x.kind === 'bar' ? [x] : []));
  };

  test('a chain-priced window that then gets trades names one offset range per input topic', () => {
    // SPY has no trades at first: its chains' spot prices the window (chains offsets 40, 41); then
    // trades arrive (trades partition 1, offsets 7 and 8) and the trade at 62 s closes [0, 60 s).
    // The offsets of the two topics are unrelated: one range {chains, 7..41} would be meaningless.
    offset = 7;
    const bars = barsOf([chain('SPY', 5_000, 400, 40), chain('SPY', 20_000, 401, 41), trade('SPY', 30_000, 402), trade('SPY', 62_000, 403)]);
    const first = bars[0];
    assert.ok(first !== undefined);
    assert.deepEqual([first.bar.interval, first.bar.end, first.bar.open, first.bar.close], ['1m', 60_000, 400, 402]);
    assert.deepEqual(first.inputs, [
      { topic: 'chains', partition: 0, fromOffset: 40, toOffset: 41 },
      { topic: 'trades', partition: 1, fromOffset: 7, toOffset: 7 },
    ]);
  });

  test('ranges are sorted by topic then partition, whatever the arrival order', () => {
    const agg = new BarAggregator(cfg);
    const t = (tsEvent: number, price: number): Trade => ({ tsEvent, tsInit: tsEvent, symbol: 'X', price, size: 1, side: 'BUY', tradeId: 0 });
    agg.onTrade(t(1_000, 1), { topic: 'trades', partition: 3, offset: 9 });
    agg.onTrade(t(2_000, 1), { topic: 'trades', partition: 1, offset: 50 });
    agg.onPrice('X', 3_000, 3_000, 1, { topic: 'chains', partition: 2, offset: 4 });
    agg.onTrade(t(4_000, 1), { topic: 'trades', partition: 3, offset: 5 });
    const { closed } = agg.onTrade(t(70_000, 1), { topic: 'trades', partition: 1, offset: 60 });
    assert.deepEqual(closed[0]?.inputs, [
      { topic: 'chains', partition: 2, fromOffset: 4, toOffset: 4 },
      { topic: 'trades', partition: 1, fromOffset: 50, toOffset: 50 },
      { topic: 'trades', partition: 3, fromOffset: 5, toOffset: 9 },
    ]);
  });

  test('a snapshot taken mid-window restores the per-topic lineage exactly, and shares nothing with the live state', () => {
    const inputs: [string, number, number][] = [['chains', 40, 5_000], ['chains', 41, 20_000], ['trades', 7, 30_000], ['trades', 8, 62_000], ['trades', 9, 125_000]];
    const feed = (agg: BarAggregator, from: number, to: number): unknown[] =>
      inputs.slice(from, to).flatMap(([topic, off, ts]) => {
        const pos = { topic, partition: 0, offset: off };
        const r = topic === 'chains' ? agg.onPrice('SPY', ts, ts, 400, pos) : agg.onTrade({ tsEvent: ts, tsInit: ts, symbol: 'SPY', price: 401, size: 1, side: 'SELL', tradeId: off }, pos);
        return r.closed;
      });
    const whole = feed(new BarAggregator(cfg), 0, inputs.length);
    const first = new BarAggregator(cfg);
    const head = feed(first, 0, 3);
    const state = first.snapshot();
    const copy = JSON.parse(JSON.stringify(state)) as unknown;
    feed(first, 3, inputs.length); // the live aggregator moves on; the snapshot must not change with it
    assert.deepEqual(state, copy);
    const second = new BarAggregator(cfg);
    second.restore(state);
    assert.deepEqual([...head, ...feed(second, 3, inputs.length)], whole);
    // Restored into an aggregator that has moved past the cut: the same tail (nothing it cached of
    // its own state, such as the last symbol's clock, survives the restore).
    first.restore(state);
    assert.deepEqual([...head, ...feed(first, 3, inputs.length)], whole);
    assert.deepEqual((whole[0] as { inputs: unknown }).inputs, [
      { topic: 'chains', partition: 0, fromOffset: 40, toOffset: 41 },
      { topic: 'trades', partition: 0, fromOffset: 7, toOffset: 7 },
    ]);
    assert.throws(() => new BarAggregator(cfg).restore({ ...state, v: 1 }), /version-2/);
  });
});
