import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBacktest } from '../../../research/backtest/index.ts';
import { endOf, series, signal } from './fixtures.ts';

const close = (a: number, b: number, eps = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= eps, `${a} != ${b} (eps ${eps})`);

/** One trade: entry at bar 1's open, exit at bar 1's close (horizon 1). */
function oneTrade(side: 'BUY' | 'SELL', open: number, exit: number, config: { feeBps?: number; slippageBps?: number }) {
  const bars = series('BTC', [[open, open], [open, exit]]);
  const r = runBacktest({ bars, signals: [signal('BTC', endOf(0), side)], config: { horizonBars: 1, ...config } });
  assert.equal(r.trades.length, 1);
  return { trade: r.trades[0]!, final: r.equityCurve.at(-1)!.equity };
}

// Formula (research/backtest/trade-costs.ts): x = exitFill / entryFill, net = dir*(x-1) - f*(1+x).
describe('fees and slippage', () => {
  test('fee only, 10 bp per side on a long 100 -> 110: 0.1 - 0.001 * (1 + 1.1) = 0.0979', () => {
    const { trade, final } = oneTrade('BUY', 100, 110, { feeBps: 10, slippageBps: 0 });
    close(trade.grossReturn, 0.1);
    close(trade.netReturn, 0.0979);
    close(final, 1.0979);
  });

  test('slippage only, 100 bp per side on a long 100 -> 110: fills 101 and 108.9, net 7.9/101', () => {
    const { trade } = oneTrade('BUY', 100, 110, { feeBps: 0, slippageBps: 100 });
    assert.equal(trade.entryPrice, 100); // records carry market prices, costs show in netReturn
    close(trade.netReturn, 7.9 / 101);
  });

  test('both on a short 100 -> 90: fills 99 and 90.9, x = 90.9/99, net = (1-x) - 0.001*(1+x) = 0.0799', () => {
    const { trade } = oneTrade('SELL', 100, 90, { feeBps: 10, slippageBps: 100 });
    close(trade.grossReturn, 0.1);
    close(trade.netReturn, 0.0799);
  });

  test('defaults are 5 bp fee and 2 bp slippage per side: a flat round trip costs about 14 bp', () => {
    // x = 0.9998/1.0002; x - 1 - 0.0005*(1+x) = -0.00139972005598880223 (computed with bc, scale 20).
    const { trade } = oneTrade('BUY', 100, 100, {});
    close(trade.netReturn, -0.00139972005598880223, 1e-15);
  });
});
