import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuseTimeframes, type TimeframeInput } from '../../../processors/confluence/fuse.ts';
import { TimeframeViews } from '../../../processors/confluence/timeframe-views.ts';
import { DEFAULT_SIGNAL_RULE } from '../../../processors/signal/signal-rule.ts';

const HOUR = 3_600_000;
const tf = (interval: string, p: [number, number, number] | null, barEnd = 0): TimeframeInput => ({ interval, modelId: `m-${interval}`, view: p === null ? null : { barEnd, pUp: p[0], pFlat: p[1], pDown: p[2] } });
const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('fuseTimeframes (log-odds addition)', () => {
  // Reference by hand: z_c = 1 * ln A_c + 0.5 * ln B_c, softmax. Unnormalised: up 0.6*sqrt(0.3) =
  // 0.3286335, flat 0.3*sqrt(0.4) = 0.1897367, down 0.1*sqrt(0.3) = 0.0547723; their sum 0.5731425.
  // Checked with python3 (math.log/math.exp):
  // [0.5733889272749587, 0.33104625151254813, 0.09556482121249316]; fused ln(pUp/pDown) = ln 6 + 0.5 ln 1.
  const A: [number, number, number] = [0.6, 0.3, 0.1];
  const B: [number, number, number] = [0.3, 0.4, 0.3];

  test('known answer: weighted log-odds addition, then the signal rule', () => {
    const f = fuseTimeframes([tf('5m', A), tf('1h', B)], { weights: [1, 0.5], k: 1, rule: DEFAULT_SIGNAL_RULE });
    close(f.pUp, 0.5733889272749587);
    close(f.pFlat, 0.33104625151254813);
    close(f.pDown, 0.09556482121249316);
    close(Math.log(f.pUp / f.pDown), Math.log(6));
    assert.equal(f.action, 'BUY');
    assert.equal(f.confidence, f.pUp);
    assert.equal(f.reason, null);
    assert.deepEqual(f.timeframes.map((t) => [t.interval, t.weight, t.agrees]), [['5m', 1, true], ['1h', 0.5, false]]);
    close(f.timeframes[0]?.logOdds ?? NaN, Math.log(6));
    assert.equal(f.timeframes[1]?.logOdds, 0);
  });

  test('agreement: a BUY that fewer than k timeframes back is HOLD, with the reason; a tie backs neither side', () => {
    const f = fuseTimeframes([tf('5m', A), tf('1h', B)], { weights: [1, 0.5], k: 2, rule: DEFAULT_SIGNAL_RULE });
    assert.equal(f.action, 'HOLD');
    assert.equal(f.confidence, f.pFlat);
    assert.equal(f.reason, 'agreement: 1 of 2 timeframes agree with BUY, k=2');
    // Probabilities are those of the k=1 fusion: the requirement changes the action only.
    close(f.pUp, 0.5733889272749587);
    // B leaning up makes two agree.
    const g = fuseTimeframes([tf('5m', A), tf('1h', [0.35, 0.4, 0.25])], { weights: [1, 0.5], k: 2, rule: DEFAULT_SIGNAL_RULE });
    assert.equal(g.action, 'BUY');
    assert.deepEqual(g.timeframes.map((t) => t.agrees), [true, true]);
  });

  test('SELL agrees on pDown > pUp; a higher timeframe can veto by its weight', () => {
    const down: [number, number, number] = [0.1, 0.3, 0.6];
    const f = fuseTimeframes([tf('5m', down), tf('1h', [0.2, 0.3, 0.5])], { weights: [1, 1], k: 2, rule: DEFAULT_SIGNAL_RULE });
    assert.equal(f.action, 'SELL');
    // 1h strongly up with weight 2: fused ln(pUp/pDown) = ln(1/6) + 2 ln(8) = ln(64/6) > 0.
    const v = fuseTimeframes([tf('5m', down), tf('1h', [0.8, 0.1, 0.1])], { weights: [1, 2], k: 1, rule: DEFAULT_SIGNAL_RULE });
    close(Math.log(v.pUp / v.pDown), Math.log(64 / 6), 1e-12);
  });

  test('a timeframe without a view adds nothing and does not agree', () => {
    const f = fuseTimeframes([tf('5m', A), tf('1h', null)], { weights: [1, 1], k: 1, rule: DEFAULT_SIGNAL_RULE });
    close(f.pUp, 0.6, 1e-15);
    close(f.pFlat, 0.3, 1e-15);
    close(f.pDown, 0.1, 1e-15);
    assert.deepEqual(f.timeframes[1], { interval: '1h', modelId: 'm-1h', barEnd: null, pUp: null, pFlat: null, pDown: null, weight: 1, logOdds: null, agrees: false });
    const k2 = fuseTimeframes([tf('5m', A), tf('1h', null)], { weights: [1, 1], k: 2, rule: DEFAULT_SIGNAL_RULE });
    assert.equal(k2.action, 'HOLD');
  });

  test('all weights zero: uniform probabilities (HOLD), not NaN', () => {
    const f = fuseTimeframes([tf('5m', A)], { weights: [0], k: 1, rule: DEFAULT_SIGNAL_RULE });
    assert.deepEqual([f.pUp, f.pFlat, f.pDown], [1 / 3, 1 / 3, 1 / 3]);
    assert.equal(f.action, 'HOLD');
  });

  test('weights must match the timeframes', () => {
    assert.throws(() => fuseTimeframes([tf('5m', A)], { weights: [1, 1], k: 1, rule: DEFAULT_SIGNAL_RULE }), /2 weights for 1 timeframes/);
  });
});

describe('TimeframeViews (as-of join, no look-ahead)', () => {
  const view = (barEnd: number, pUp = 0.5) => ({ barEnd, pUp, pFlat: 0.25, pDown: 0.25, inputs: [] });

  test('a view from a bar closing later than the base bar end is never used, even when it has arrived', () => {
    const v = new TimeframeViews();
    // A watermark jump closes the 10:00 and the 11:00 1h bars before the 10:05 base bar is fused.
    v.push(1, 'X', view(10 * HOUR, 0.4));
    v.push(1, 'X', view(11 * HOUR, 0.9));
    assert.equal(v.at(1, 'X', 10 * HOUR + 5 * 60_000)?.barEnd, 10 * HOUR);
    // A bar closing exactly at the base bar end is closed at it: used.
    assert.equal(v.at(1, 'X', 11 * HOUR)?.pUp, 0.9);
    const only = new TimeframeViews();
    only.push(1, 'X', view(11 * HOUR));
    assert.equal(only.at(1, 'X', 10 * HOUR), null);
    assert.equal(only.at(1, 'Y', 12 * HOUR), null, 'per symbol');
    assert.equal(only.at(2, 'X', 12 * HOUR), null, 'per timeframe');
  });

  test('snapshot and restore round-trip the queues', () => {
    const v = new TimeframeViews();
    v.push(1, 'X', view(10 * HOUR));
    v.push(1, 'X', view(11 * HOUR));
    const w = new TimeframeViews();
    w.restore(JSON.parse(JSON.stringify(v.snapshot())));
    assert.deepEqual(w.at(1, 'X', 10.5 * HOUR), v.at(1, 'X', 10.5 * HOUR));
    assert.deepEqual(w.at(1, 'X', 11 * HOUR), v.at(1, 'X', 11 * HOUR));
  });
});
