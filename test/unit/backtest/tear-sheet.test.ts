import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTearSheet, runBacktest } from '../../../research/backtest/index.ts';
import { monthlyReturns, rollingSharpe } from '../../../research/backtest/tear-sheet.ts';
import { endOf, series, signal } from './fixtures.ts';

describe('tear sheet pieces', () => {
  test('monthly returns chain month-end to month-end (UTC months)', () => {
    const jan31 = Date.UTC(2026, 0, 31);
    const feb10 = Date.UTC(2026, 1, 10);
    const feb28 = Date.UTC(2026, 1, 28);
    const mar2 = Date.UTC(2026, 2, 2);
    const m = monthlyReturns([{ t: jan31 - 1000, equity: 1 }, { t: jan31, equity: 1.1 }, { t: feb10, equity: 1.0 }, { t: feb28, equity: 1.21 }, { t: mar2, equity: 1.089 }]);
    assert.deepEqual(m.years, ['2026']);
    const row = m.cells[0]!;
    assert.ok(Math.abs(row[0]! - 0.1) < 1e-12);
    assert.ok(Math.abs(row[1]! - 0.1) < 1e-12); // 1.21 / 1.1
    assert.ok(Math.abs(row[2]! + 0.1) < 1e-12); // 1.089 / 1.21
    assert.equal(row[3], null);
  });

  test('rolling Sharpe of a window equals the plain Sharpe of those returns', () => {
    const curve = [1, 1.01, 1.0, 1.02, 1.03, 1.01].map((equity, i) => ({ t: i, equity }));
    const r = [0.01, 1 / 1.01 - 1, 0.02, 1.03 / 1.02 - 1, 1.01 / 1.03 - 1];
    const last3 = r.slice(2);
    const mean = last3.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(last3.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    const out = rollingSharpe(curve, 3, 100);
    assert.equal(out.length, 3);
    assert.equal(out[2]![0], 5);
    assert.ok(Math.abs(out[2]![1] - (mean / sd) * 10) < 1e-9);
  });

  test('the page is a pure function of the report: same bytes twice, no script, every chart present', () => {
    const bars = series('BTC', Array.from({ length: 300 }, (_, i) => [100 + Math.sin(i / 7), 100 + Math.sin((i + 1) / 7)] as [number, number]));
    const signals = Array.from({ length: 30 }, (_, k) => signal('BTC', endOf(k * 9), k % 2 === 0 ? 'BUY' : 'SELL'));
    const report = runBacktest({ bars, signals, config: { randomDraws: 50 } });
    const opts = { model: { modelId: 'm' }, gates: null, sha256: 'x'.repeat(64) };
    const a = renderTearSheet(report, opts);
    assert.equal(a, renderTearSheet(report, opts));
    assert.doesNotMatch(a, /<script|https?:\/\//);
    for (const id of ['equity', 'drawdown', 'monthly', 'pnl', 'rolling-sharpe', 'random-entry']) assert.match(a, new RegExp(`data-chart="${id}"`));
    assert.match(a, /Not available: this model's manifest has no confusion matrix/);
  });
});
