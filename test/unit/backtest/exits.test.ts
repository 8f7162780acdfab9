import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar } from '../../../schemas/index.ts';
import { runBacktest } from '../../../research/backtest/index.ts';
import { averageTrueRange, touchedExit } from '../../../research/backtest/exit-levels.ts';
import { bar, endOf, NO_COSTS, signal } from './fixtures.ts';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b} (eps ${eps})`);

/** Bar i with explicit high and low. */
function hl(i: number, open: number, high: number, low: number, closePrice: number): Bar {
  return { ...bar('BTC', i, open, closePrice), high, low };
}

// Worked by hand from the bars next to each case; long entry at bar 1's open = 100.
describe('stop and target inside a bar', () => {
  const cfg = { ...NO_COSTS, horizonBars: 5, stopPct: 0.02, targetPct: 0.03, randomDraws: 0 };

  test('target touched by the high: exit at the target price (103), at the bar close time', () => {
    const bars = [hl(0, 100, 100, 100, 100), hl(1, 100, 101, 99, 100.5), hl(2, 100.5, 103.5, 100, 101), hl(3, 101, 101, 101, 101)];
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'BUY')], config: cfg });
    const t = r.trades[0]!;
    assert.deepEqual([t.exitReason, t.exitPrice, t.exitTime, t.bars], ['target', 103, endOf(2), 2]);
    close(t.netReturn, 0.03);
  });

  test('both stop (98) and target (103) touched in one bar: the stop, the worse one', () => {
    const bars = [hl(0, 100, 100, 100, 100), hl(1, 100, 104, 97, 101), hl(2, 101, 101, 101, 101)];
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'BUY')], config: cfg });
    assert.deepEqual([r.trades[0]!.exitReason, r.trades[0]!.exitPrice], ['stop', 98]);
    close(r.metrics.totalReturn, -0.02);
  });

  test('a gap through the stop fills at the open, not at the stop', () => {
    const bars = [hl(0, 100, 100, 100, 100), hl(1, 100, 100.5, 99.5, 100), hl(2, 95, 96, 94, 95.5)];
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'BUY')], config: cfg });
    assert.deepEqual([r.trades[0]!.exitReason, r.trades[0]!.exitPrice], ['stop', 95]);
  });

  test('a short: the stop is above (102), touched by the high', () => {
    const bars = [hl(0, 100, 100, 100, 100), hl(1, 100, 102.5, 99, 101), hl(2, 101, 101, 101, 101)];
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'SELL')], config: cfg });
    assert.deepEqual([r.trades[0]!.side, r.trades[0]!.exitReason, r.trades[0]!.exitPrice], ['SHORT', 'stop', 102]);
    close(r.trades[0]!.netReturn, -0.02);
  });

  test('ATR multiples: ATR(2) of the bars before entry, stop 1 ATR below the entry', () => {
    // True ranges of bars 1 and 2 (prev closes 100, 100): 2 and 4 -> ATR 3; stop at 100 - 3 = 97.
    const bars = [hl(0, 100, 100, 100, 100), hl(1, 100, 101, 99, 100), hl(2, 100, 102, 98, 100), hl(3, 100, 100.5, 96.5, 98), hl(4, 98, 98, 98, 98)];
    assert.equal(averageTrueRange(bars, 3, 2), 3);
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(2), 'BUY')], config: { ...NO_COSTS, horizonBars: 5, stopAtr: 1, atrBars: 2, randomDraws: 0 } });
    assert.deepEqual([r.trades[0]!.exitReason, r.trades[0]!.exitPrice], ['stop', 97]);
  });

  test('touchedExit: untouched bar gives null', () => {
    assert.equal(touchedExit(1, { open: 100, high: 101, low: 99 }, 98, 103), null);
  });
});

describe('slippage as a fraction of the bar range', () => {
  test('10 % of a 4-point range on a 100 open is 40 bp more per fill', () => {
    const bars = [hl(0, 100, 100, 100, 100), hl(1, 100, 102, 98, 110), hl(2, 110, 110, 110, 110)];
    const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), 'BUY')], config: { ...NO_COSTS, horizonBars: 1, slippageRange: 0.1, randomDraws: 0 } });
    // Entry and exit on bar 1: slippage 0.004 each side. x = 110 * 0.996 / (100 * 1.004).
    close(r.trades[0]!.netReturn, (110 * 0.996) / (100 * 1.004) - 1);
  });
});
