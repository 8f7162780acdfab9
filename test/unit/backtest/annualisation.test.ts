import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar } from '../../../schemas/index.ts';
import { barsPerYear, detectCalendar, runBacktest, sharpeRatio } from '../../../research/backtest/index.ts';
import { zonedToUtc } from '../../../processors/calendar/index.ts';
import { bar, endOf, NO_COSTS, series, signal, STEP, T0 } from './fixtures.ts';

const FIVE_MIN = 300_000;

/** 5-minute bars of the US regular session (09:30-16:00 New York) on the given November 2023 days. */
function usSession(symbol: string, days: readonly number[]): Bar[] {
  return session(symbol, days, 'America/New_York', 9, 30, 78);
}

function session(symbol: string, days: readonly number[], zone: string, hour: number, minute: number, count: number): Bar[] {
  const out: Bar[] = [];
  let price = 100;
  for (const d of days) {
    const open = zonedToUtc(2023, 11, d, hour, minute, 0, 0, zone);
    for (let k = 0; k < count; k++) {
      const start = open + k * FIVE_MIN;
      const b = bar(symbol, 0, price, price * (k % 2 === 0 ? 1.001 : 0.9995));
      out.push({ ...b, start, end: start + FIVE_MIN, tsEvent: start + FIVE_MIN, tsInit: start + FIVE_MIN });
      price = b.close;
    }
  }
  return out;
}

describe('annualisation from the session calendar', () => {
  test('bars a year: crypto 365 x 288, US equities 252 x 78, NSE 252 x 75 (5-minute bars); 1-minute US 252 x 390', () => {
    assert.equal(barsPerYear('crypto', FIVE_MIN), 365 * 288);
    assert.equal(barsPerYear('us-equity', FIVE_MIN), 252 * 78);
    assert.equal(barsPerYear('nse', FIVE_MIN), 252 * 75);
    assert.equal(barsPerYear('us-equity', 60_000), 252 * 390);
  });

  test('detects US sessions from the bars, 24/7 otherwise; a series shorter than a day stays crypto', () => {
    // 13-17 Nov 2023 is Monday to Friday.
    assert.equal(detectCalendar(usSession('SPY', [13, 14, 15, 16, 17])), 'us-equity');
    const allDay = Array.from({ length: 600 }, (_, i) => bar('BTC', i, 100, 100));
    assert.equal(detectCalendar(allDay), 'crypto');
    assert.equal(detectCalendar(usSession('SPY', [13])), 'crypto');
    // NSE: 09:15-15:30 Asia/Kolkata, 75 five-minute bars.
    assert.equal(detectCalendar(session('NIFTY', [13, 14, 15], 'Asia/Kolkata', 9, 15, 75)), 'nse');
  });

  test("a US-equity backtest's Sharpe uses 252 x 78, not 365 x 288", () => {
    const bars = usSession('SPY', [13, 14, 15, 16, 17]);
    const signals = [signal('SPY', bars[0]!.end, 'BUY'), signal('SPY', bars[100]!.end, 'SELL')];
    const r = runBacktest({ bars, signals, config: { ...NO_COSTS, horizonBars: 40 } });
    assert.deepEqual(r.calendars, { SPY: 'us-equity' });
    assert.equal(r.metrics.barsPerYear, 252 * 78);
    const returns = r.equityCurve.slice(1).map((p, i) => p.equity / r.equityCurve[i]!.equity - 1);
    assert.equal(r.metrics.sharpe, sharpeRatio(returns, 252 * 78));
    assert.notEqual(r.metrics.sharpe, 0);
    // --calendar crypto overrides the detection.
    const c = runBacktest({ bars, signals, config: { ...NO_COSTS, horizonBars: 40, calendar: 'crypto' } });
    assert.equal(c.metrics.barsPerYear, 365 * 288);
  });
});

describe('traded window', () => {
  // 20 bars; price flat for 10, then a trade over bars 12..13 (a flat stretch before it).
  const prices: [number, number][] = Array.from({ length: 20 }, (_, i) => (i === 12 ? [100, 104] : i === 13 ? [104, 102] : [100, 100]));

  test('with a window the curve starts at its start and the flat stretch before it does not count', () => {
    const bars = series('BTC', prices);
    const signals = [signal('BTC', endOf(11), 'BUY')];
    const whole = runBacktest({ bars, signals, config: { ...NO_COSTS, horizonBars: 2, randomDraws: 0 } });
    const from = T0 + 10 * STEP;
    const win = runBacktest({ bars, signals, window: { from }, config: { ...NO_COSTS, horizonBars: 2, randomDraws: 0 } });
    assert.equal(win.equityCurve[0]!.t, from);
    assert.equal(win.equityCurve.length, 1 + 10);
    assert.equal(whole.equityCurve.length, 1 + 20);
    assert.equal(win.metrics.periods, 10);
    assert.equal(win.metrics.totalReturn, whole.metrics.totalReturn);
    // Same trade, fewer flat periods: the windowed Sharpe is the sharpe of the windowed returns.
    const returns = win.equityCurve.slice(1).map((p, i) => p.equity / win.equityCurve[i]!.equity - 1);
    assert.equal(win.metrics.sharpe, sharpeRatio(returns, 365 * 288));
    assert.ok(win.metrics.sharpe > whole.metrics.sharpe);
    // Exposure counts the window's bars only: 2 held out of 10.
    assert.equal(win.metrics.exposure, 2 / 10);
    assert.equal(whole.metrics.exposure, 2 / 20);
  });

  test('signals outside [from, to) are not traded; a trade past `to` still closes inside the window', () => {
    const bars = series('BTC', prices);
    const signals = [signal('BTC', endOf(2), 'SELL'), signal('BTC', endOf(11), 'BUY'), signal('BTC', endOf(15), 'SELL')];
    const r = runBacktest({ bars, signals, window: { from: endOf(5), to: endOf(12) }, config: { ...NO_COSTS, horizonBars: 2, randomDraws: 0 } });
    assert.equal(r.trades.length, 1);
    assert.equal(r.trades[0]!.side, 'LONG');
    assert.equal(r.window.to, endOf(13));
    assert.equal(r.equityCurve.at(-1)!.t, endOf(13));
  });
});
