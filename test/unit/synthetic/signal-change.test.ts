import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseChangeAt } from '../../../cli/specs/generate.ts';
import { bayesAuc, SyntheticMarket, syntheticConfig, type SyntheticTruth } from '../../../sources/synthetic/index.ts';

// Two days, the change between them (were six, the change after the third): the planted relation
// measures about +0.58 before and -0.61 after here, against bounds of +-0.1, at half the CPU.
const DAYS = 2;
const base = { days: DAYS, seed: 9, signalStrength: 3, options: { intervalMs: 86_400_000 } };
const changeAt = Date.UTC(2026, 0, 6); // day 2 of 2

function run(signalChange: { at: number; signalStrength: number } | null): { events: ReturnType<SyntheticMarket['events']> extends Iterable<infer E> ? E[] : never; truth: SyntheticTruth } {
  const m = new SyntheticMarket(syntheticConfig({ ...base, signalChange }));
  const events = [...m.events()];
  return { events, truth: m.truth() };
}

/**
 * Slope sign of the planted signal: correlation between the mean OFI of the last L bars and the
 * next bar's log return, over the bars starting in [from, to). Computed from the generator's own
 * record of closes and OFIs (the definition of the signal in synthetic-market.ts).
 */
function signalCorrelation(t: SyntheticTruth, from: number, to: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of t.symbols) {
    for (let k = t.signalLookbackBars; k + 1 < s.bars; k++) {
      const start = s.firstBarStart + (k + 1) * t.barMs;
      if (start < from || start >= to) continue;
      let m = 0;
      for (let i = 0; i < t.signalLookbackBars; i++) m += s.ofi[k - i] as number;
      const r = Math.log((s.close[k + 1] as number) / (s.close[k] as number));
      if (!Number.isFinite(r)) continue;
      xs.push(m / t.signalLookbackBars);
      ys.push(r);
    }
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
    syy += ((ys[i] as number) - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('synthetic market: a signal change part way through', () => {
  const stable = run(null);
  const reversed = run({ at: changeAt, signalStrength: -3 });

  test('everything before the change is the same market, event for event; after it prices differ', () => {
    const before = (e: (typeof stable.events)[number]): boolean => e.value.tsEvent < changeAt;
    const a = stable.events.filter(before);
    const b = reversed.events.filter(before);
    assert.ok(a.length > 1000);
    assert.deepEqual(b, a);
    const afterA = stable.events.filter((e) => !before(e) && e.topic === 'trades').map((e) => (e.value as { price: number }).price);
    const afterB = reversed.events.filter((e) => !before(e) && e.topic === 'trades').map((e) => (e.value as { price: number }).price);
    assert.notDeepEqual(afterB.slice(0, 2000), afterA.slice(0, 2000));
  });

  test('the planted relation (past order flow -> next return) is positive before and reversed after', () => {
    const end = base.days * 86_400_000 + Date.UTC(2026, 0, 5);
    const pre = signalCorrelation(reversed.truth, 0, changeAt);
    const post = signalCorrelation(reversed.truth, changeAt, end);
    const control = signalCorrelation(stable.truth, changeAt, end);
    // a day of bars on each side, correlations far beyond the bounds (see DAYS)
    assert.ok(pre > 0.1, `before: ${pre}`);
    assert.ok(post < -0.1, `after: ${post}`);
    assert.ok(control > 0.1, `same period without the change: ${control}`);
  });

  test('bayesAuc covers the rows before the change only; the truth says when it changed', () => {
    assert.equal(reversed.truth.signalChangeAt, changeAt);
    assert.equal(stable.truth.signalChangeAt, null);
    // the rows before the change are the same in both markets, so the figure must be the stable
    // market's restricted to them, and not the stable market's over every row
    const restricted = bayesAuc({ ...stable.truth, signalChangeAt: changeAt });
    assert.equal(bayesAuc(reversed.truth), restricted);
    assert.notEqual(restricted, bayesAuc(stable.truth));
  });

  test('--change-at: a fraction of the span or an absolute time', () => {
    const start = Date.UTC(2026, 0, 5);
    assert.equal(parseChangeAt('0.5', start, 6), start + 3 * 86_400_000);
    assert.equal(parseChangeAt('2026-01-08T00:00:00Z', start, 6), Date.UTC(2026, 0, 8));
    assert.equal(parseChangeAt(String(changeAt), start, 6), changeAt);
    assert.ok(Number.isNaN(parseChangeAt('soon', start, 6)));
  });
});
