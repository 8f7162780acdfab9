import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBacktest } from '../../../research/backtest/index.ts';
import { bar, endOf, NO_COSTS, series, signal, STEP, T0 } from './fixtures.ts';

const close = (a: number, b: number, eps = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= eps, `${a} != ${b} (eps ${eps})`);

// Expected values below are worked by hand from the bars written next to them.
describe('runBacktest: entries and exits', () => {
  test('long win: enters at the next bar open (not the signal bar close), exits at horizon close', () => {
    // b0 closes at 99, b1 opens at 100: the fill must be 100. Held b1..b2 (horizon 2), exit at 110.
    const bars = series('BTC', [[98, 99], [100, 104], [104, 110], [110, 120]]);
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'BUY')], config: { ...NO_COSTS, horizonBars: 2 } });
    assert.equal(r.trades.length, 1);
    const t = r.trades[0]!;
    assert.deepEqual(
      { side: t.side, entryTime: t.entryTime, entryPrice: t.entryPrice, exitTime: t.exitTime, exitPrice: t.exitPrice, exitReason: t.exitReason },
      { side: 'LONG', entryTime: T0 + STEP, entryPrice: 100, exitTime: endOf(2), exitPrice: 110, exitReason: 'horizon' },
    );
    close(t.grossReturn, 0.1);
    close(t.netReturn, 0.1);
    // Curve: start 1, flat at b0, 104/100 at b1, 110/100 at b2, flat after the exit.
    assert.deepEqual(r.equityCurve.map((p) => p.t), [T0, endOf(0), endOf(1), endOf(2), endOf(3)]);
    [1, 1, 1.04, 1.1, 1.1].forEach((e, i) => close(r.equityCurve[i]!.equity, e));
    close(r.metrics.totalReturn, 0.1);
    assert.equal(r.metrics.winRate, 1);
    assert.equal(r.metrics.profitFactor, null); // no losing trade
    assert.equal(r.metrics.exposure, 2 / 4);
  });

  test('short win: profit when price falls, marked to market while open', () => {
    const bars = series('BTC', [[100, 100], [100, 95], [95, 90]]);
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'SELL')], config: { ...NO_COSTS, horizonBars: 2 } });
    const t = r.trades[0]!;
    assert.equal(t.side, 'SHORT');
    close(t.grossReturn, 0.1); // -(90/100 - 1)
    close(t.netReturn, 0.1);
    close(r.equityCurve[2]!.equity, 1.05); // 1 - (95/100 - 1)
    close(r.metrics.totalReturn, 0.1);
  });

  test('exit on horizon counts the entry bar as the first held bar, then stays flat', () => {
    const bars = series('BTC', [[100, 100], [100, 101], [101, 102], [102, 103], [103, 90], [90, 80]]);
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'BUY')], config: { ...NO_COSTS, horizonBars: 3 } });
    const t = r.trades[0]!;
    assert.equal(t.exitReason, 'horizon');
    assert.equal(t.exitTime, endOf(3)); // held b1, b2, b3
    assert.equal(t.exitPrice, 103);
    close(r.equityCurve.at(-1)!.equity, 1.03); // the later fall to 80 is not held
    assert.equal(r.metrics.exposure, 3 / 6);
  });

  test('opposite signal exits at the next open and reverses there; the reversal runs to end of data', () => {
    const bars = series('BTC', [[100, 100], [100, 102], [102, 104], [105, 103], [103, 100]]);
    const signals = [signal('BTC', endOf(0), 'BUY'), signal('BTC', endOf(2), 'SELL')];
    const r = runBacktest({ bars, signals, config: { ...NO_COSTS, horizonBars: 6 } });
    assert.equal(r.trades.length, 2);
    const [long, short] = r.trades;
    assert.deepEqual([long!.side, long!.exitReason, long!.exitTime, long!.exitPrice], ['LONG', 'signal', T0 + 3 * STEP, 105]);
    assert.deepEqual([short!.side, short!.entryTime, short!.entryPrice], ['SHORT', T0 + 3 * STEP, 105]);
    assert.deepEqual([short!.exitReason, short!.exitTime, short!.exitPrice], ['end', endOf(4), 100]);
    close(long!.netReturn, 0.05);
    close(short!.netReturn, 5 / 105);
    // Compounded sleeve: 1.05 * (1 + 5/105) = 1.1.
    close(r.metrics.totalReturn, 0.1);
    assert.equal(r.metrics.exposure, 4 / 5);
  });

  test('same-direction signal neither pyramids nor extends the exit; HOLD does nothing', () => {
    const bars = series('BTC', [[100, 100], [100, 101], [101, 102], [102, 103], [103, 104]]);
    const signals = [signal('BTC', endOf(0), 'BUY'), signal('BTC', endOf(1), 'BUY'), signal('BTC', endOf(2), 'HOLD')];
    const r = runBacktest({ bars, signals, config: { ...NO_COSTS, horizonBars: 2 } });
    assert.equal(r.trades.length, 1);
    assert.equal(r.trades[0]!.exitTime, endOf(2));
    close(r.trades[0]!.netReturn, 0.02);
  });
});

describe('runBacktest: look-ahead guard', () => {
  test('a signal at the last bar close produces no trade', () => {
    const bars = series('BTC', [[100, 100], [100, 150]]);
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(1), 'BUY')], config: NO_COSTS });
    assert.equal(r.trades.length, 0);
    assert.ok(r.equityCurve.every((p) => p.equity === 1));
    assert.deepEqual([r.metrics.winRate, r.metrics.avgTradeReturn, r.metrics.sharpe], [null, null, 0]);
  });

  test('a signal stamped inside a bar enters at the next bar start, not at the open it lies in', () => {
    const bars = series('BTC', [[100, 100], [110, 120], [130, 140], [140, 150]]);
    const r = runBacktest({ bars, signals: [signal('BTC', T0 + STEP + 1, 'BUY')], config: { ...NO_COSTS, horizonBars: 1 } });
    assert.equal(r.trades[0]!.entryTime, T0 + 2 * STEP);
    assert.equal(r.trades[0]!.entryPrice, 130);
  });

  test('across a data gap the entry is the first bar starting after the signal', () => {
    const bars = [bar('BTC', 0, 100, 100), bar('BTC', 1, 100, 101), bar('BTC', 4, 90, 99)];
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(1), 'BUY')], config: { ...NO_COSTS, horizonBars: 1 } });
    assert.deepEqual([r.trades[0]!.entryTime, r.trades[0]!.entryPrice, r.trades[0]!.exitPrice], [T0 + 4 * STEP, 90, 99]);
  });
});

describe('runBacktest: portfolio and validation', () => {
  test('sleeves: equal capital per symbol, equity is the mean sleeve, carrying a sleeve between its bars', () => {
    const btc = series('BTC', [[100, 100], [100, 110], [110, 110]]);
    // ETH only has bars 0 and 2: at bar 1's close its sleeve keeps its last value.
    const eth = [bar('ETH', 0, 50, 50), bar('ETH', 2, 50, 45)];
    const signals = [signal('BTC', endOf(0), 'BUY'), signal('ETH', endOf(0), 'SELL')];
    const r = runBacktest({ bars: [...btc, ...eth], signals, config: { ...NO_COSTS, horizonBars: 5, portfolio: 'sleeves' } });
    assert.equal(r.portfolio, 'sleeves');
    assert.deepEqual(r.skippedOrders, []);
    close(r.equityCurve[2]!.equity, (1.1 + 1) / 2);
    close(r.equityCurve[3]!.equity, (1.1 + 1.1) / 2); // ETH short 50 -> 45 = +10 %
    assert.deepEqual(r.trades.map((t) => t.symbol), ['BTC', 'ETH']);
  });

  test('shared (default): one cash account; an order the cash cannot pay for is skipped and recorded', () => {
    const btc = series('BTC', [[100, 100], [100, 110], [110, 110]]);
    const eth = [bar('ETH', 0, 50, 50), bar('ETH', 2, 50, 45)];
    // Both whole-equity orders fill at bar 1's open? ETH has no bar 1: its order waits for bar 2's
    // open, when BTC holds all the cash (size 1 of equity 1): skipped, the reason recorded.
    const signals = [signal('BTC', endOf(0), 'BUY'), signal('ETH', endOf(0), 'SELL')];
    const r = runBacktest({ bars: [...btc, ...eth], signals, config: { ...NO_COSTS, horizonBars: 5 } });
    assert.equal(r.portfolio, 'shared');
    assert.deepEqual(r.trades.map((t) => t.symbol), ['BTC']);
    assert.deepEqual(r.skippedOrders.map((o) => [o.symbol, o.time, o.side, o.reason]), [['ETH', T0 + 2 * STEP, 'SHORT', 'insufficient-cash']]);
    close(r.skippedOrders[0]!.cash, 0);
    close(r.skippedOrders[0]!.capital, 1.1); // size 1 x equity marked at BTC's latest price (110)
    close(r.equityCurve.at(-1)!.equity, 1.1);
  });

  test('shared: sizes are fractions of the equity marked at the latest prices; every close marks all positions', () => {
    const btc = series('BTC', [[100, 100], [100, 120], [120, 120], [120, 120], [120, 120]]);
    const eth = series('ETH', [[50, 50], [50, 50], [50, 40], [40, 40], [40, 40]]);
    const sized = (s: ReturnType<typeof signal>, size: number): ReturnType<typeof signal> => ({ ...s, size });
    // Bar 1: BTC long 0.5 of 1. Bar 2: ETH short 0.4 of the equity then (0.5 + 0.5 x 1.2 = 1.1) = 0.44.
    const signals = [sized(signal('BTC', endOf(0), 'BUY'), 0.5), sized(signal('ETH', endOf(1), 'SELL'), 0.4)];
    const r = runBacktest({ bars: [...btc, ...eth], signals, config: { ...NO_COSTS, horizonBars: 2 } });
    const byTime = new Map(r.equityCurve.map((p) => [p.t, p.equity]));
    close(byTime.get(endOf(1))!, 0.5 + 0.5 * 1.2);
    const ethTrade = r.trades.find((t) => t.symbol === 'ETH')!;
    close(ethTrade.capital, 0.4 * 1.1);
    // Bar 2 close: BTC exits at its horizon (120), ETH short marked at 40 (+20 %).
    close(byTime.get(endOf(2))!, 1.1 - 0.44 + 0.44 * 1.2);
    close(r.equityCurve.at(-1)!.equity, 1 + 0.5 * 0.2 + 0.44 * 0.2);
    assert.deepEqual(r.skippedOrders, []);
  });

  test('shared: an opposite order frees its cash at the open before the orders of that open are sized', () => {
    const btc = series('BTC', [[100, 100], [100, 100], [100, 100], [100, 100]]);
    const eth = series('ETH', [[50, 50], [50, 50], [50, 50], [50, 50]]);
    // Bar 1: BTC long, whole equity. Bar 2's open: BTC flips to short (exit, re-enter 0.5) and ETH
    // buys 0.5: both paid from the cash the exit returned.
    const half = (s: ReturnType<typeof signal>): ReturnType<typeof signal> => ({ ...s, size: 0.5 });
    const signals = [signal('BTC', endOf(0), 'BUY'), half(signal('BTC', endOf(1), 'SELL')), half(signal('ETH', endOf(1), 'BUY'))];
    const r = runBacktest({ bars: [...btc, ...eth], signals, config: { ...NO_COSTS, horizonBars: 3 } });
    assert.deepEqual(r.trades.map((t) => [t.symbol, t.side, t.exitReason]), [['BTC', 'LONG', 'signal'], ['BTC', 'SHORT', 'end'], ['ETH', 'LONG', 'end']]);
    assert.deepEqual(r.skippedOrders, []);
  });

  test('rejects duplicate bars, conflicting signals and bad config', () => {
    const bars = series('BTC', [[100, 100], [100, 101]]);
    assert.throws(() => runBacktest({ bars: [...bars, bars[1]!], signals: [] }), /overlap or repeat/);
    const a = signal('BTC', endOf(0), 'BUY', 'a');
    const b = signal('BTC', endOf(0), 'SELL', 'b');
    assert.throws(() => runBacktest({ bars, signals: [a, b] }), /two signals for BTC/);
    assert.equal(runBacktest({ bars, signals: [a, a] }).trades.length, 1); // an exact duplicate is dropped
    assert.throws(() => runBacktest({ bars, signals: [], config: { horizonBars: 0 } }), /horizonBars/);
  });
});
