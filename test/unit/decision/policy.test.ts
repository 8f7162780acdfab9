import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decidePolicy, exitPrices, fitPolicy, kellySize, type DecisionPolicy } from '../../../processors/decision/index.ts';

/** A policy by hand: 14 bp round trip, class moves +40 / 0 / -40 bp, half Kelly capped at 0.6. */
const POLICY: DecisionPolicy = {
  version: 1,
  moveSource: 'classes',
  roundTripCost: 0.0014,
  minNetEdge: 0,
  classMoves: [0.004, 0, -0.004],
  kellyFraction: 0.5,
  maxSize: 0.6,
  stopAtr: 2,
  targetAtr: 3,
  timeoutBars: 6,
  barIntervalMs: 300_000,
};
const MARKET = { barEnd: 1_700_000_000_000, close: 100, atrPct: 0.001 };

describe('decision policy', () => {
  test('no trade when the cost exceeds the expected move, however confident the class', () => {
    // E = 0.45 * 0.004 - 0.2 * 0.004 = 0.001 < 0.0014: HOLD, with the reason.
    const d = decidePolicy(POLICY, { pUp: 0.45, pFlat: 0.35, pDown: 0.2 }, MARKET);
    assert.equal(d.action, 'HOLD');
    assert.equal(d.size, 0);
    assert.equal(d.reason, 'cost exceeds expected move');
    // The same probabilities trade once costs are lower than the move.
    const cheap = decidePolicy({ ...POLICY, roundTripCost: 0.0005 }, { pUp: 0.45, pFlat: 0.35, pDown: 0.2 }, MARKET);
    assert.equal(cheap.action, 'BUY');
    assert.equal(cheap.reason, null);
  });

  test('the expected-return head replaces the class moves only when the policy was fitted on it', () => {
    const p = { pUp: 0.3, pFlat: 0.1, pDown: 0.6, expectedReturn: -0.003 };
    assert.equal(decidePolicy(POLICY, p, MARKET).reason, 'cost exceeds expected move'); // classes: E = -0.0012
    assert.equal(decidePolicy({ ...POLICY, moveSource: 'head' }, p, MARKET).action, 'SELL'); // head: -0.003
    assert.equal(decidePolicy({ ...POLICY, moveSource: 'head' }, { ...p, expectedReturn: null }, MARKET).action, 'HOLD');
    // A head against the probabilities: no Kelly edge on that side.
    assert.equal(decidePolicy({ ...POLICY, moveSource: 'head' }, { ...p, expectedReturn: 0.003 }, MARKET).reason, 'no Kelly edge');
  });

  test('a threshold above the net edge holds; no fitted threshold holds everything', () => {
    const p = { pUp: 0.7, pFlat: 0.2, pDown: 0.1 }; // E = 0.0024, net 0.001
    assert.equal(decidePolicy({ ...POLICY, minNetEdge: 0.0011 }, p, MARKET).reason, 'net edge below threshold');
    assert.equal(decidePolicy({ ...POLICY, minNetEdge: null }, p, MARKET).action, 'HOLD');
    assert.equal(decidePolicy({ ...POLICY, minNetEdge: 0.0009 }, p, MARKET).action, 'BUY');
  });

  test('Kelly: p - (1 - p) / b times the fraction, capped, never negative', () => {
    assert.equal(kellySize(0.6, 1, 0.5, 1), 0.5 * (0.6 - 0.4)); // 0.1
    assert.equal(kellySize(0.9, 2, 1, 0.25), 0.25); // full Kelly 0.85, capped
    assert.equal(kellySize(0.3, 1, 0.5, 1), 0);
    assert.equal(kellySize(0.6, 0, 0.5, 1), 0);
    // Through the policy: p = 0.7 / 0.9, b = 1, half Kelly = 0.278 < cap 0.6.
    const half = decidePolicy(POLICY, { pUp: 0.7, pFlat: 0.1, pDown: 0.2 }, MARKET).size;
    assert.ok(Math.abs(half - 0.5 * (0.7 / 0.9 - 0.2 / 0.9)) < 1e-15, `${half}`);
    // A sure thing is capped.
    assert.equal(decidePolicy({ ...POLICY, kellyFraction: 1 }, { pUp: 0.9, pFlat: 0.1, pDown: 0 }, MARKET).size, 0.6);
  });

  test('stop below and target above the close for a long, mirrored for a short; timeout after timeoutBars', () => {
    const long = decidePolicy(POLICY, { pUp: 0.8, pFlat: 0.1, pDown: 0.1 }, MARKET);
    assert.equal(long.action, 'BUY');
    assert.ok(long.stop !== null && long.target !== null);
    assert.ok(long.stop < 100 && 100 < long.target, `${long.stop} < 100 < ${long.target}`);
    assert.ok(Math.abs(long.stop - (100 - 2 * 0.1)) < 1e-12 && Math.abs(long.target - (100 + 3 * 0.1)) < 1e-12);
    assert.equal(long.expiresAt, MARKET.barEnd + 6 * 300_000);
    const short = decidePolicy(POLICY, { pUp: 0.1, pFlat: 0.1, pDown: 0.8 }, MARKET);
    assert.equal(short.action, 'SELL');
    assert.ok(short.stop !== null && short.target !== null && short.target < 100 && 100 < short.stop);
  });

  test('quantile heads set the levels when they lie on the right sides, else the ATR multiples do', () => {
    const q = exitPrices(POLICY, 1, { pUp: 0.8, pFlat: 0.1, pDown: 0.1, q10: -0.002, q90: 0.005 }, MARKET);
    assert.equal(q.stop, 100 * Math.exp(-0.002));
    assert.equal(q.target, 100 * Math.exp(0.005));
    const s = exitPrices(POLICY, -1, { pUp: 0.1, pFlat: 0.1, pDown: 0.8, q10: -0.002, q90: 0.005 }, MARKET);
    assert.equal(s.stop, 100 * Math.exp(0.005));
    assert.equal(s.target, 100 * Math.exp(-0.002));
    // q10 above zero is no stop for a long: the ATR stop takes its place.
    const odd = exitPrices(POLICY, 1, { pUp: 0.8, pFlat: 0.1, pDown: 0.1, q10: 0.001, q90: 0.005 }, MARKET);
    assert.ok(odd.stop !== null && Math.abs(odd.stop - 99.8) < 1e-12);
    // No close, no levels; no ATR and no heads, none either.
    assert.deepEqual(exitPrices(POLICY, 1, { pUp: 1, pFlat: 0, pDown: 0 }, { ...MARKET, close: null }), { stop: null, target: null });
    assert.deepEqual(exitPrices(POLICY, 1, { pUp: 1, pFlat: 0, pDown: 0 }, { ...MARKET, atrPct: null }), { stop: null, target: null });
  });
});

describe('fitPolicy (validation split)', () => {
  /** Rows whose forward return follows the probabilities: confident rows move 50 bp their way. */
  function split(n: number, informative: boolean): { probs: Float64Array; fwdReturn: Float64Array; labels: Uint8Array } {
    const probs = new Float64Array(n * 3);
    const fwd = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const strength = (i % 10) / 10; // 0 .. 0.9
      const up = i % 2 === 0;
      const pSide = 0.34 + 0.5 * strength;
      const rest = (1 - pSide) / 2;
      probs.set(up ? [pSide, rest, rest] : [rest, rest, pSide], i * 3);
      // Informative: the strong rows (strength >= 0.5) move 50 bp their way, the weak ones 5 bp against.
      const move = informative ? (strength >= 0.5 ? 0.005 : -0.0005) : i % 4 < 2 ? 0.003 : -0.003;
      fwd[i] = up ? move : -move;
      labels[i] = fwd[i]! > 0.0015 ? 0 : fwd[i]! < -0.0015 ? 2 : 1;
    }
    return { probs, fwdReturn: fwd, labels };
  }

  test('class moves are the mean forward return by true class', () => {
    const { policy } = fitPolicy(split(200, true), 6, 300_000);
    assert.ok(Math.abs(policy.classMoves[0] - 0.005) < 1e-15);
    assert.ok(Math.abs(policy.classMoves[2] + 0.005) < 1e-15);
    assert.equal(policy.roundTripCost, 0.0014);
    assert.equal(policy.timeoutBars, 6);
  });

  test('the threshold keeps the rows that paid after costs and drops the ones that did not', () => {
    const data = split(400, true);
    const { policy, summary } = fitPolicy(data, 6, 300_000, { minTrades: 10 });
    assert.ok(policy.minNetEdge !== null);
    assert.equal(summary.trades, 200); // strength 0.5 .. 0.9: half the rows
    assert.ok(summary.netMean !== null && Math.abs(summary.netMean - (0.005 - 0.0014)) < 1e-12);
    // Every strong row trades under the fitted policy, no weak one does.
    for (let i = 0; i < 20; i++) {
      const p = { pUp: data.probs[i * 3]!, pFlat: data.probs[i * 3 + 1]!, pDown: data.probs[i * 3 + 2]! };
      const d = decidePolicy(policy, p, MARKET);
      assert.equal(d.action !== 'HOLD', (i % 10) / 10 >= 0.5, `row ${i}`);
    }
  });

  test('no edge on validation: minNetEdge null, every signal HOLD', () => {
    const { policy, summary } = fitPolicy(split(400, false), 6, 300_000);
    assert.equal(policy.minNetEdge, null);
    assert.equal(summary.trades, 0);
    assert.equal(decidePolicy(policy, { pUp: 0.9, pFlat: 0.05, pDown: 0.05 }, MARKET).action, 'HOLD');
  });

  test('deterministic: the same rows give the same policy', () => {
    const data = split(300, true);
    assert.deepEqual(fitPolicy(data, 6, 300_000), fitPolicy(data, 6, 300_000));
  });
});
