import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflatedSharpe, expectedMaxSharpe, parseTrialsLedger, probabilisticSharpe, type ReturnMoments } from '../../../research/backtest/sharpe-significance.ts';

/**
 * Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest
 * Overfitting and Non-Normality", Journal of Portfolio Management 40(5), 2014, section
 * "A numerical example": N = 100 trials whose annualised Sharpe ratios have variance 1/2, the best
 * of them with an annualised Sharpe of 2.5 over T = 1,250 daily returns (250 a year), skewness -3,
 * kurtosis 10. The paper gives SR0 = 0.1132 (per day) and DSR = 0.9004.
 */
const BARS_PER_YEAR = 250;
const std = 0.01;
const PAPER: ReturnMoments = { n: 1250, mean: (2.5 / Math.sqrt(BARS_PER_YEAR)) * std, std, skew: -3, kurtosis: 10 };

/** A hand-made ledger in `tickflow tune`'s layout: 100 trials at rung 0, the best 34 again at rung 1. */
function tuneLedger(withSharpe: boolean): string {
  // 50 trials at +a and 50 at -a: mean 0, sample variance 100 a^2 / 99 = 1/2.
  const a = Math.sqrt((0.5 * 99) / 100);
  const line = (trial: number, rung: number): string =>
    JSON.stringify({ trial, rung, family: 'logistic', params: { l2: 0.001 * (trial + 1) }, epochs: 10 * (rung + 1), foldLogLoss: [1.09, 1.1], cvLogLoss: 1.095, cvAuc: 0.52, seconds: 0.1, ...(withSharpe ? { sharpe: trial % 2 === 0 ? a : -a } : {}) });
  const lines: string[] = [];
  for (let t = 0; t < 100; t++) lines.push(line(t, 0));
  for (let t = 0; t < 34; t++) lines.push(line(t * 3, 1));
  return `${lines.join('\n')}\n`;
}

describe('deflated Sharpe from a trials ledger', () => {
  test('the ledger counts distinct trials, not its rung lines, and the sample spread of their Sharpe ratios', () => {
    const stats = parseTrialsLedger(tuneLedger(true));
    assert.equal(stats.count, 100);
    assert.ok(Math.abs(stats.sharpeSd! - Math.sqrt(0.5)) < 1e-12, String(stats.sharpeSd));
  });

  test('the textbook example: SR0 = 0.1132 per day, DSR = 0.9004 (Bailey & López de Prado 2014)', () => {
    const stats = parseTrialsLedger(tuneLedger(true));
    const sr0 = expectedMaxSharpe(stats.count, stats.sharpeSd! / Math.sqrt(BARS_PER_YEAR));
    assert.ok(Math.abs(sr0 - 0.1132) < 5e-5, `SR0 ${sr0}`);
    const dsr = deflatedSharpe(PAPER, stats, BARS_PER_YEAR);
    assert.equal(dsr.reason, null);
    assert.match(dsr.basis!, /N = 100 trials; spread of their Sharpe ratios from the ledger/);
    assert.ok(Math.abs(dsr.value! - 0.9004) < 5e-5, `DSR ${dsr.value}`);
    assert.ok(dsr.value! < probabilisticSharpe(PAPER)!);
  });

  test('a ledger without Sharpe ratios (what tune writes): N from it, the spread of no-skill Sharpe estimates over the same periods, said in the basis', () => {
    const stats = parseTrialsLedger(tuneLedger(false));
    assert.deepEqual(stats, { count: 100, sharpeSd: null });
    const dsr = deflatedSharpe(PAPER, stats, BARS_PER_YEAR);
    // The same as a ledger whose annualised spread is sqrt(barsPerYear / (n - 1)).
    const same = deflatedSharpe(PAPER, { count: 100, sharpeSd: Math.sqrt(BARS_PER_YEAR / (PAPER.n - 1)) }, BARS_PER_YEAR);
    assert.ok(Math.abs(dsr.value! - same.value!) < 1e-12);
    assert.match(dsr.basis!, /no Sharpe per trial; spread = the no-skill sampling sd of a Sharpe over 1250 periods/);
    // More trials, more luck to discount: the DSR falls with N.
    assert.ok(deflatedSharpe(PAPER, { count: 1000, sharpeSd: null }, BARS_PER_YEAR).value! < dsr.value!);
  });

  test('unknown without a ledger or with an empty one, with the reason', () => {
    assert.deepEqual(deflatedSharpe(PAPER, null, BARS_PER_YEAR).value, null);
    assert.match(deflatedSharpe(PAPER, null, BARS_PER_YEAR).reason!, /^unknown: no trials ledger given \(--trials/);
    assert.match(deflatedSharpe(PAPER, parseTrialsLedger('\n'), BARS_PER_YEAR).reason!, /^unknown: the trials ledger holds no trial/);
    assert.throws(() => parseTrialsLedger('{"trial":0}\nnot json\n'), /line 2 is not JSON/);
  });
});
