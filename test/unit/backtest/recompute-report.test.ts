import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { canonicalJson, parseTrialsLedger, runBacktest } from '../../../research/backtest/index.ts';
import { bar, endOf, signal } from './fixtures.ts';

/**
 * An independent recomputation of every metric from report.json (as the CLI writes it: canonical
 * JSON), with its own plain code: no import from research/backtest beyond producing the report.
 * Phi is Abramowitz & Stegun 26.2.17 (|error| < 7.5e-8), its inverse by bisection on it; so the
 * probabilistic and deflated Sharpe ratios are checked to 1e-6, everything else to 1e-12.
 */

function phi(x: number): number {
  // Abramowitz & Stegun 26.2.17.
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI)) * poly;
  return x >= 0 ? 1 - tail : tail;
}

function phiInv(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function market(seed: number): { bars: Bar[]; signals: Signal[] } {
  const rng = new Rng(seed);
  const bars: Bar[] = [];
  const signals: Signal[] = [];
  for (const symbol of ['BTC', 'ETH', 'SOL']) {
    let price = 100;
    for (let i = 0; i < 400; i++) {
      const open = price * Math.exp(0.0005 * rng.normal());
      price = open * Math.exp(0.004 * rng.normal() + 0.0004);
      bars.push(bar(symbol, i, open, price));
      const u = rng.next();
      if (i >= 50) signals.push(signal(symbol, endOf(i), u < 0.12 ? 'BUY' : u < 0.2 ? 'SELL' : 'HOLD'));
    }
  }
  return { bars, signals };
}

interface Report {
  config: { feeBps: number; slippageBps: number };
  trades: { side: string; entryPrice: number; exitPrice: number; netReturn: number; capital: number; bars: number }[];
  equityCurve: { t: number; equity: number }[];
  metrics: Record<string, number | null>;
  buyAndHold: { totalReturn: number; sharpe: number; maxDrawdown: number; equityCurve: { t: number; equity: number }[] };
  randomEntry: { draws: number; mean: number; sd: number; pValue: number; returns: number[] };
}

for (const portfolio of ['shared', 'sleeves'] as const) describe(`independent recomputation of report.json (${portfolio} portfolio)`, () => {
  const { bars, signals } = market(21);
  const config = { feeBps: 5, slippageBps: 2, randomDraws: 300, seed: 4, portfolio };
  const ledger = ['{"trial":1,"sharpe":0.4}', '{"trial":2,"sharpe":-1.1}', '{"trial":3,"sharpe":2.5}', '{"trial":4}', ''].join('\n');
  const from = endOf(40);
  const report = JSON.parse(canonicalJson({ config, ...runBacktest({ bars, signals, config, window: { from }, trials: parseTrialsLedger(ledger) }) })) as Report;
  const m = report.metrics;
  const eq = (name: string, got: number | null | undefined, want: number | null, eps = 1e-12): void => {
    if (want === null || got === null || got === undefined) return assert.equal(got, want, name);
    assert.ok(Math.abs(got - want) <= eps * Math.max(1, Math.abs(want)), `${name}: report ${got}, recomputed ${want}`);
  };

  test('the run trades and has losing and winning trades (so every metric is defined)', () => {
    assert.ok(report.trades.length > 50);
    assert.equal((report as unknown as { portfolio: string }).portfolio, portfolio);
    assert.ok(m.avgLoss !== null && m.avgWin !== null && m.sortino !== null);
  });

  test('trade returns from their prices and the costs', () => {
    const f = config.feeBps / 1e4;
    const s = config.slippageBps / 1e4;
    for (const t of report.trades) {
      const d = t.side === 'LONG' ? 1 : -1;
      const x = (t.exitPrice * (1 - d * s)) / (t.entryPrice * (1 + d * s));
      eq('netReturn', t.netReturn, d * (x - 1) - f * (1 + x));
    }
  });

  test('curve metrics: total return, CAGR, volatility, Sharpe, Sortino, Calmar, drawdown and its duration', () => {
    const c = report.equityCurve;
    assert.equal(c[0]!.t, from);
    const r = c.slice(1).map((p, i) => p.equity / c[i]!.equity - 1);
    const bpy = 365 * 288;
    assert.equal(m.barsPerYear, bpy);
    const mu = mean(r);
    const sd = Math.sqrt(mean(r.map((x) => (x - mu) ** 2)));
    const total = c.at(-1)!.equity / c[0]!.equity - 1;
    const years = (c.at(-1)!.t - c[0]!.t) / (365.25 * 86_400_000);
    const cagr = (1 + total) ** (1 / years) - 1;
    let peak = c[0]!;
    let worst = 0;
    let longest = 0;
    for (const p of c) {
      if (p.equity >= peak.equity) {
        longest = Math.max(longest, p.t - peak.t);
        peak = p;
      } else worst = Math.max(worst, 1 - p.equity / peak.equity);
    }
    if (c.at(-1)!.equity < peak.equity) longest = Math.max(longest, c.at(-1)!.t - peak.t);
    eq('totalReturn', m.totalReturn, total);
    eq('cagr', m.cagr, cagr, 1e-9);
    eq('volatility', m.volatility, sd * Math.sqrt(bpy));
    eq('sharpe', m.sharpe, (mu / sd) * Math.sqrt(bpy));
    eq('sortino', m.sortino, (mu / Math.sqrt(mean(r.map((x) => Math.min(x, 0) ** 2)))) * Math.sqrt(bpy));
    eq('maxDrawdown', m.maxDrawdown, worst);
    eq('calmar', m.calmar, cagr / worst, 1e-9);
    assert.equal(m.maxDrawdownDurationMs, longest);
    assert.equal(m.periods, r.length);

    // Probabilistic Sharpe (Bailey & López de Prado 2012, eq. for PSR), per-period moments.
    const sr = mu / sd;
    const skew = mean(r.map((x) => (x - mu) ** 3)) / sd ** 3;
    const kurt = mean(r.map((x) => (x - mu) ** 4)) / sd ** 4;
    const psr = (sr0: number): number => phi(((sr - sr0) * Math.sqrt(r.length - 1)) / Math.sqrt(1 - skew * sr + ((kurt - 1) / 4) * sr * sr));
    eq('probabilisticSharpe', m.probabilisticSharpe, psr(0), 1e-6);
    // Deflated Sharpe: 4 trials, sample sd of the three given Sharpes, brought to per period.
    const trialSr = [0.4, -1.1, 2.5];
    const tm = mean(trialSr);
    const tsd = Math.sqrt(trialSr.reduce((a, x) => a + (x - tm) ** 2, 0) / 2) / Math.sqrt(bpy);
    const g = 0.5772156649015329;
    const sr0 = tsd * ((1 - g) * phiInv(1 - 1 / 4) + g * phiInv(1 - 1 / (4 * Math.E)));
    eq('deflatedSharpe', m.deflatedSharpe, psr(sr0), 1e-6);
    assert.ok(m.deflatedSharpe! < m.probabilisticSharpe!);
  });

  test('trade metrics: win rate, profit factor, expectancy, average win and loss, long ratio, exposure, turnover', () => {
    const n = report.trades.map((t) => t.netReturn);
    const wins = n.filter((x) => x > 0);
    const losses = n.filter((x) => x < 0);
    eq('trades', m.trades, n.length);
    eq('winRate', m.winRate, wins.length / n.length);
    eq('profitFactor', m.profitFactor, wins.reduce((a, b) => a + b, 0) / -losses.reduce((a, b) => a + b, 0));
    eq('expectancy', m.expectancy, mean(n));
    eq('avgWin', m.avgWin, mean(wins));
    eq('avgLoss', m.avgLoss, mean(losses));
    eq('longRatio', m.longRatio, report.trades.filter((t) => t.side === 'LONG').length / n.length);
    // Three aligned symbols: the window holds 3 x periods (symbol, bar) pairs.
    const c = report.equityCurve;
    eq('exposure', m.exposure, report.trades.reduce((a, t) => a + t.bars, 0) / (3 * (c.length - 1)));
    // A trade's capital is in units of the whole account (shared) or of one of the 3 sleeves.
    const units = portfolio === 'shared' ? 1 : 3;
    const notional = report.trades.reduce((a, t) => a + (t.capital * (1 + t.exitPrice / t.entryPrice)) / units, 0);
    const years = (c.at(-1)!.t - c[0]!.t) / (365.25 * 86_400_000);
    eq('turnover', m.turnover, notional / mean(c.map((p) => p.equity)) / years, 1e-9);
  });

  test('baselines: buy-and-hold return, Sharpe and drawdown from its curve; random-entry moments and p-value', () => {
    const h = report.buyAndHold.equityCurve;
    const r = h.slice(1).map((p, i) => p.equity / h[i]!.equity - 1);
    const mu = mean(r);
    const sd = Math.sqrt(mean(r.map((x) => (x - mu) ** 2)));
    eq('buyAndHold.totalReturn', report.buyAndHold.totalReturn, h.at(-1)!.equity - 1);
    eq('buyAndHold.sharpe', report.buyAndHold.sharpe, (mu / sd) * Math.sqrt(365 * 288));
    const re = report.randomEntry;
    assert.equal(re.returns.length, re.draws);
    const rm = mean(re.returns);
    eq('randomEntry.mean', re.mean, rm);
    eq('randomEntry.sd', re.sd, Math.sqrt(re.returns.reduce((a, x) => a + (x - rm) ** 2, 0) / (re.draws - 1)));
    eq('randomEntry.pValue', re.pValue, (1 + re.returns.filter((x) => x >= m.totalReturn!).length) / (1 + re.draws));
  });
});
