import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { maxDrawdown, runBacktest, sharpeRatio } from '../../../research/backtest/index.ts';
import { NO_COSTS, series, signal, T0 } from './fixtures.ts';

const close = (a: number, b: number, eps = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= eps, `${a} != ${b} (eps ${eps})`);

describe('sharpeRatio', () => {
  test('known series: [0.01, -0.01, 0.02, 0] with 100 bars/year is 2*sqrt(5)', () => {
    // By hand: mean 0.005; squared deviations 2.5e-5, 2.25e-4, 2.25e-4, 2.5e-5 sum to 5e-4;
    // population variance 1.25e-4, std = 0.005*sqrt(5); mean/std = 1/sqrt(5); * sqrt(100) = 2*sqrt(5).
    close(sharpeRatio([0.01, -0.01, 0.02, 0], 100), 2 * Math.sqrt(5));
  });

  test('0 when the standard deviation is 0 or there are fewer than two returns', () => {
    assert.equal(sharpeRatio([0.01, 0.01, 0.01], 100), 0);
    assert.equal(sharpeRatio([0.05], 100), 0);
    assert.equal(sharpeRatio([], 100), 0);
  });

  test('from a backtest whose per-bar returns are that series', () => {
    // Long from bar 0's open at 100 (signal stamped at bar 0's start), no costs: equity = close / 100.
    // Closes 101, 99.99, 101.9898, 101.9898 give bar returns 0.01, -0.01, 0.02, 0.
    const bars = series('BTC', [[100, 101], [101, 99.99], [99.99, 101.9898], [101.9898, 101.9898]]);
    const r = runBacktest({ bars, signals: [signal('BTC', T0, 'BUY')], config: { ...NO_COSTS, horizonBars: 10, barsPerYear: 100 } });
    close(r.metrics.sharpe, 2 * Math.sqrt(5), 1e-9);
  });
});

describe('maxDrawdown', () => {
  test('known path: peak 1.2 to trough 0.6 is a 50 % drawdown, later new highs do not hide it', () => {
    close(maxDrawdown([1, 1.2, 0.9, 1.1, 0.6, 1.5]), 0.5);
    assert.equal(maxDrawdown([1, 1.1, 1.2]), 0);
  });

  test('from a backtest: long at 100 through closes 120, 90, 110, 60, 150', () => {
    const bars = series('BTC', [[100, 100], [100, 120], [120, 90], [90, 110], [110, 60], [60, 150]]);
    const r = runBacktest({ bars, signals: [signal('BTC', T0, 'BUY')], config: { ...NO_COSTS, horizonBars: 10 } });
    close(r.metrics.maxDrawdown, 0.5); // (1.2 - 0.6) / 1.2
    close(r.metrics.totalReturn, 0.5);
  });
});

describe('trade metrics', () => {
  test('win rate, profit factor and average over wins and losses', () => {
    // Three one-bar longs (horizon 1): +10 %, -5 %, +20 %.
    const bars = series('BTC', [[100, 100], [100, 110], [100, 95], [100, 120]]);
    const signals = [0, 1, 2].map((i) => signal('BTC', T0 + (i + 1) * 300_000, 'BUY'));
    const r = runBacktest({ bars, signals, config: { ...NO_COSTS, horizonBars: 1 } });
    assert.equal(r.metrics.trades, 3);
    close(r.metrics.winRate!, 2 / 3);
    close(r.metrics.profitFactor!, 0.3 / 0.05);
    close(r.metrics.avgTradeReturn!, 0.25 / 3);
    close(r.metrics.totalReturn, 1.1 * 0.95 * 1.2 - 1);
  });
});
