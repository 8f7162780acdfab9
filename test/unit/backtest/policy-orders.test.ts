import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../../processors/math/rng.ts';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { canonicalJson, runBacktest } from '../../../research/backtest/index.ts';
import { bar, endOf, series, signal, STEP } from './fixtures.ts';

/** Bars with a real high/low range: [open, close, high, low]. */
function ranged(symbol: string, rows: readonly (readonly [number, number, number, number])[]): Bar[] {
  return rows.map(([o, c, h, l], i) => ({ ...bar(symbol, i, o, c), high: h, low: l }));
}
const sized = (s: Signal, fields: Partial<Signal>): Signal => ({ ...s, ...fields });
const NO_COST = { feeBps: 0, slippageBps: 0, randomDraws: 0 };

describe('the backtest trades the policy fields of a signal', () => {
  test('size: the sleeve commits that fraction, the rest stays in cash', () => {
    const bars = series('BTC', [[100, 100], [100, 110], [110, 110], [110, 110]]);
    const r = runBacktest({ bars, signals: [sized(signal('BTC', endOf(0), 'BUY'), { size: 0.25 })], config: { ...NO_COST, horizonBars: 1 } });
    assert.equal(r.trades.length, 1);
    assert.equal(r.trades[0]?.size, 0.25);
    assert.equal(r.trades[0]?.capital, 0.25);
    assert.ok(Math.abs(r.trades[0].netReturn - 0.1) < 1e-15);
    assert.ok(Math.abs(r.metrics.totalReturn - 0.025) < 1e-15, `${r.metrics.totalReturn}`);
  });

  test("the signal's stop and target exit inside the bar; both touched is the stop", () => {
    const bars = ranged('BTC', [[100, 100, 100, 100], [100, 101, 101, 99.5], [101, 100, 103, 98], [100, 100, 100, 100]]);
    const s = sized(signal('BTC', endOf(0), 'BUY'), { size: 1, stop: 98.5, target: 102 });
    const r = runBacktest({ bars, signals: [s], config: NO_COST });
    assert.equal(r.trades[0]?.exitReason, 'stop');
    assert.equal(r.trades[0]?.exitPrice, 98.5);
    // Configured levels replace the signal's: a 10 % stop and no target hold to the horizon (end of data).
    const c = runBacktest({ bars, signals: [s], config: { ...NO_COST, stopPct: 0.1 } });
    assert.equal(c.trades[0]?.exitReason, 'end');
  });

  test('expiresAt times the position out at the close of the last bar ending by then', () => {
    const bars = series('BTC', Array.from({ length: 12 }, () => [100, 100] as const));
    const s = sized(signal('BTC', endOf(0), 'SELL'), { size: 1, expiresAt: endOf(0) + 3 * STEP });
    const r = runBacktest({ bars, signals: [s], config: { ...NO_COST, horizonBars: 8 } });
    assert.equal(r.trades[0]?.bars, 3);
    assert.equal(r.trades[0]?.exitTime, endOf(3));
    assert.equal(r.trades[0]?.exitReason, 'horizon');
  });

  test('a size outside (0, 1] is refused', () => {
    const bars = series('BTC', [[100, 100], [100, 100]]);
    assert.throws(() => runBacktest({ bars, signals: [sized(signal('BTC', endOf(0), 'BUY'), { size: 1.5 })] }), /size 1.5/);
  });

  test('independent recomputation: each sleeve compounds 1 + size x netReturn, the portfolio is their mean', () => {
    const rng = new Rng(5);
    const bars: Bar[] = [];
    const signals: Signal[] = [];
    for (const symbol of ['BTC', 'ETH']) {
      let price = 100;
      for (let i = 0; i < 300; i++) {
        const open = price;
        price = open * Math.exp(0.004 * rng.normal());
        const hi = Math.max(open, price) * (1 + 0.002 * rng.next());
        const lo = Math.min(open, price) * (1 - 0.002 * rng.next());
        bars.push({ ...bar(symbol, i, open, price), high: hi, low: lo });
        const u = rng.next();
        if (i < 290 && u < 0.2) {
          const dir = u < 0.1 ? 1 : -1;
          signals.push(sized(signal(symbol, endOf(i), dir === 1 ? 'BUY' : 'SELL'), { size: 0.1 + 0.9 * rng.next(), stop: price * (1 - dir * 0.006), target: price * (1 + dir * 0.008), expiresAt: endOf(i) + 4 * STEP }));
        }
      }
    }
    const config = { feeBps: 5, slippageBps: 2, randomDraws: 0, portfolio: 'sleeves' as const };
    const report = JSON.parse(canonicalJson(runBacktest({ bars, signals, config }))) as { trades: { symbol: string; side: string; entryPrice: number; exitPrice: number; netReturn: number; size: number; exitReason: string; bars: number }[]; equityCurve: { equity: number }[] };
    const reasons = new Set(report.trades.map((t) => t.exitReason));
    for (const r of ['stop', 'target', 'horizon']) assert.ok(reasons.has(r), `some trade exits by ${r}`);
    const f = 5e-4;
    const s = 2e-4;
    const final: Record<string, number> = { BTC: 1, ETH: 1 };
    for (const t of report.trades) {
      const d = t.side === 'LONG' ? 1 : -1;
      const x = (t.exitPrice * (1 - d * s)) / (t.entryPrice * (1 + d * s));
      assert.ok(Math.abs(t.netReturn - (d * (x - 1) - f * (1 + x))) < 1e-15);
      assert.ok(t.bars <= 4);
      final[t.symbol] = final[t.symbol]! * (1 + t.size * t.netReturn);
    }
    const want = (final.BTC! + final.ETH!) / 2;
    const got = report.equityCurve.at(-1)!.equity;
    assert.ok(Math.abs(got - want) < 1e-12, `report ${got}, recomputed ${want}`);

    // The same orders through the shared portfolio: one account, so the final equity is 1 plus
    // every trade's capital x netReturn, and the cash (realized equity minus the capital of the
    // positions open) is never negative at any entry.
    const shared = JSON.parse(canonicalJson(runBacktest({ bars, signals, config: { ...config, portfolio: 'shared' } }))) as { trades: { entryTime: number; exitTime: number; netReturn: number; capital: number; size: number }[]; skippedOrders: { reason: string }[]; equityCurve: { equity: number }[] };
    assert.ok(shared.trades.length > 20 && shared.skippedOrders.length > 0, `${shared.trades.length} trades, ${shared.skippedOrders.length} skipped`);
    assert.ok(shared.skippedOrders.every((o) => o.reason === 'insufficient-cash'));
    let realized = 1;
    for (const t of shared.trades) realized += t.capital * t.netReturn;
    const end = shared.equityCurve.at(-1)!.equity;
    assert.ok(Math.abs(end - realized) < 1e-12, `report ${end}, recomputed ${realized}`);
    for (const e of shared.trades) {
      let cash = 1;
      for (const t of shared.trades) {
        if (t.exitTime <= e.entryTime) cash += t.capital * t.netReturn;
        if (t.entryTime <= e.entryTime && t.exitTime > e.entryTime) cash -= t.capital;
      }
      assert.ok(cash >= -1e-12, `cash ${cash} at ${e.entryTime}`);
    }
  });
});
