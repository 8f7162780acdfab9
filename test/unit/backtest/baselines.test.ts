import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { DEFAULT_GATES, evaluateGates, parseGates, runBacktest } from '../../../research/backtest/index.ts';
import { bar, endOf, NO_COSTS, series, signal } from './fixtures.ts';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b} (eps ${eps})`);

/** A random walk with a signal that knows the next 3 bars' direction ('oracle') or a coin flip. */
function market(seed: number, oracle: boolean): { bars: Bar[]; signals: Signal[] } {
  const rng = new Rng(seed);
  const bars: Bar[] = [];
  let price = 100;
  const closes: number[] = [];
  for (let i = 0; i < 600; i++) {
    const open = price;
    price *= Math.exp(0.003 * rng.normal());
    bars.push(bar('BTC', i, open, price));
    closes.push(price);
  }
  const signals: Signal[] = [];
  for (let i = 0; i + 4 < bars.length; i += 5) {
    const up = oracle ? closes[i + 3]! > bars[i + 1]!.open : rng.next() < 0.5;
    signals.push(signal('BTC', endOf(i), up ? 'BUY' : 'SELL'));
  }
  return { bars, signals };
}

describe('buy-and-hold baseline', () => {
  test('buys at the first open of the window and holds to the last close, with costs on both sides', () => {
    const bars = series('BTC', [[100, 101], [101, 105], [105, 110]]);
    const r = runBacktest({ bars, signals: [], config: NO_COSTS });
    close(r.buyAndHold.totalReturn, 0.1);
    assert.equal(r.buyAndHold.equityCurve.length, r.equityCurve.length);
    // 5 bp fee and 2 bp slippage: fills 100.02 and 109.978, fee on 1 and on x.
    const c = runBacktest({ bars, signals: [], config: { feeBps: 5, slippageBps: 2 } });
    const x = (110 * 0.9998) / (100 * 1.0002);
    close(c.buyAndHold.totalReturn, x - 1 - 0.0005 * (1 + x));
  });
});

describe('random-entry baseline', () => {
  test('same seed, same draws; another seed, other draws; p-value = (1 + draws >= strategy) / (1 + draws)', () => {
    const { bars, signals } = market(3, false);
    const a = runBacktest({ bars, signals, config: { randomDraws: 200, seed: 9 } });
    const b = runBacktest({ bars, signals, config: { randomDraws: 200, seed: 9 } });
    const c = runBacktest({ bars, signals, config: { randomDraws: 200, seed: 10 } });
    assert.deepEqual(a.randomEntry, b.randomEntry);
    assert.notDeepEqual(a.randomEntry.returns, c.randomEntry.returns);
    assert.equal(a.randomEntry.draws, 200);
    const k = a.randomEntry.returns.filter((r) => r >= a.metrics.totalReturn).length;
    assert.equal(a.randomEntry.pValue, (1 + k) / 201);
  });

  test('a draw with every trade held one bar on a one-way market returns the same as the strategy', () => {
    // Every bar rises 1 %, no costs: any long of h bars earns 1.01^h - 1 wherever it is placed.
    const bars = series('BTC', Array.from({ length: 40 }, (_, i) => [100 * 1.01 ** i, 100 * 1.01 ** (i + 1)] as [number, number]));
    const signals = [signal('BTC', endOf(3), 'BUY'), signal('BTC', endOf(20), 'BUY')];
    const r = runBacktest({ bars, signals, config: { ...NO_COSTS, horizonBars: 4, randomDraws: 50 } });
    assert.equal(r.trades.length, 2);
    for (const x of r.randomEntry.returns) close(x, r.metrics.totalReturn, 1e-12);
  });

  test('random entries go through the same accounting as the strategy: shared cash skips an overlapping whole-equity trade, sleeves do not', () => {
    // Every bar rises 1 %; BTC and ETH each make one whole-equity long of one bar, at different bars.
    const rising = (symbol: string): Bar[] => series(symbol, Array.from({ length: 5 }, (_, i) => [100 * 1.01 ** i, 100 * 1.01 ** (i + 1)] as [number, number]));
    const bars = [...rising('BTC'), ...rising('ETH')];
    const signals = [signal('BTC', endOf(0), 'BUY'), signal('ETH', endOf(2), 'BUY')];
    const config = { ...NO_COSTS, horizonBars: 1, randomDraws: 100 };
    const shared = runBacktest({ bars, signals, config });
    close(shared.metrics.totalReturn, 1.01 * 1.01 - 1); // the second long is sized on the grown equity
    // A draw placing both longs on the same bar: BTC takes all the cash, ETH is skipped (+1 %);
    // on different bars both trade (+2.01 %). Both happen in 100 draws (P(same bar) = 1/5).
    const kinds = new Set(shared.randomEntry.returns.map((x) => (Math.abs(x - 0.0201) < 1e-12 ? 'both' : Math.abs(x - 0.01) < 1e-12 ? 'one skipped' : `other ${x}`)));
    assert.deepEqual([...kinds].sort(), ['both', 'one skipped']);
    const sleeves = runBacktest({ bars, signals, config: { ...config, portfolio: 'sleeves' } });
    for (const x of sleeves.randomEntry.returns) close(x, 0.01); // each sleeve +1 %, their mean
  });

  test('an oracle gets a p-value near 0; coin flips do not', () => {
    const o = market(5, true);
    const oracle = runBacktest({ ...o, config: { randomDraws: 300 } });
    assert.ok(oracle.metrics.totalReturn > 0);
    assert.ok(oracle.randomEntry.pValue! < 0.01, `oracle p ${oracle.randomEntry.pValue}`);
    const f = market(5, false);
    const flips = runBacktest({ ...f, config: { randomDraws: 300 } });
    assert.ok(flips.randomEntry.pValue! > 0.05, `coin p ${flips.randomEntry.pValue}`);
  });

  test('no trades: no draws and no p-value', () => {
    const r = runBacktest({ bars: series('BTC', [[1, 1], [1, 1]]), signals: [] });
    assert.deepEqual({ draws: r.randomEntry.draws, pValue: r.randomEntry.pValue }, { draws: 0, pValue: null });
  });
});

describe('backtest gates', () => {
  test('the defaults fail a coin-flip strategy; a gates file overrides single fields', () => {
    const { bars, signals } = market(3, false);
    const r = runBacktest({ bars, signals, config: { randomDraws: 0 } });
    const v = evaluateGates(r.metrics, DEFAULT_GATES);
    assert.equal(v.passed, false);
    assert.ok(v.failed.includes('minSharpe'));
    const loose = parseGates('{"minTrades": 0, "minSharpe": -1000, "maxDrawdown": 1, "minWinRate": 0}');
    assert.deepEqual(evaluateGates(r.metrics, loose), { passed: true, failed: [], figures: evaluateGates(r.metrics, loose).figures });
    assert.deepEqual(parseGates('{"minTrades": 5}'), { ...DEFAULT_GATES, minTrades: 5 });
    assert.throws(() => parseGates('{"minTrade": 5}'), /gates file/);
    assert.throws(() => parseGates('nope'), /not JSON/);
  });

  test('a null figure (no trades, so no win rate) fails its gate', () => {
    const r = runBacktest({ bars: series('BTC', [[1, 1], [1, 1]]), signals: [] });
    const v = evaluateGates(r.metrics, { ...DEFAULT_GATES, minTrades: 0 });
    assert.ok(v.failed.includes('minWinRate'));
  });
});
