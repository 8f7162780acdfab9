import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { DEFAULT_CONTRACT_RULE, premiumOf, selectContract, type ContractRule, type DecisionPolicy } from '../../../processors/decision/index.ts';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { infer } from '../../../processors/operators/infer.ts';
import { DEFAULT_SIGNAL_RULE } from '../../../processors/signal/signal-rule.ts';
import type { Predictor } from '../../../processors/types.ts';
import type { Bar, OptionChainSnapshot, OptionContract, Signal } from '../../../schemas/index.ts';

/*
 * A hand-made chain; every expected value below is read off this table by hand.
 * Bar end T = 2026-01-05T12:00Z. Spot 102. Expiries: T+2h (too near for a 1-day minimum),
 * T+2d and T+9d. Strikes 95, 100, 105, 110 on T+2d; 100, 105 on T+9d.
 *   ATM for spot 102: |100-102| = 2 < |105-102| = 3 -> 100. Call OTM1 -> 105, put OTM1 -> 95.
 */
const T = Date.UTC(2026, 0, 5, 12);
const H = 3_600_000;
const D = 24 * H;
const c = (expiry: number, strike: number, right: 'C' | 'P', bid: number | null, ask: number | null, last: number | null, iv: number | null): OptionContract => ({ expiry, strike, right, bid, ask, last, iv, delta: null, gamma: null, openInterest: 10, volume: 1 });
const CONTRACTS: OptionContract[] = [
  c(T + 2 * H, 100, 'C', 1.0, 1.2, 1.1, 0.5),
  c(T + 2 * H, 100, 'P', 0.2, 0.3, 0.25, 0.5),
  c(T + 9 * D, 100, 'C', 5.0, 5.4, 5.1, 0.42),
  c(T + 2 * D, 95, 'C', 7.6, 8.0, 7.7, 0.41),
  c(T + 2 * D, 95, 'P', 0.9, 1.1, 1.0, 0.46),
  c(T + 2 * D, 100, 'C', 3.8, 4.2, 4.1, 0.4),
  c(T + 2 * D, 100, 'P', 1.9, 2.1, 2.0, 0.44),
  c(T + 2 * D, 105, 'C', 1.5, 1.7, 1.6, 0.39),
  c(T + 2 * D, 105, 'P', null, null, 4.4, 0.43),
  c(T + 2 * D, 110, 'C', 0.4, 0.6, 0.5, null),
  c(T + 9 * D, 105, 'P', 5.5, 5.9, 5.6, 0.45),
];
const chain = (over: Partial<OptionChainSnapshot> = {}): OptionChainSnapshot => ({ tsEvent: T - 60_000, tsInit: T - 59_900, underlying: 'SPY', spot: 102, contracts: CONTRACTS, ...over });
const RULE: ContractRule = { minTimeToExpiryMs: D, moneyness: 'ATM', maxChainAgeMs: 300_000 };

describe('selectContract (hand-made chain)', () => {
  test('BUY at the money: the nearest expiry past the minimum (T+2d, not T+2h), strike nearest spot, mid premium', () => {
    const r = selectContract('BUY', chain(), T, RULE);
    assert.deepEqual(r, { contract: { underlying: 'SPY', expiry: T + 2 * D, strike: 100, right: 'CALL', premium: 4.0, premiumSource: 'MID', iv: 0.4, chainAt: T - 60_000 }, reason: null });
  });

  test('SELL at the money names the put of the same expiry and strike', () => {
    const r = selectContract('SELL', chain(), T, RULE);
    assert.equal(r.contract?.right, 'PUT');
    assert.equal(r.contract?.strike, 100);
    assert.equal(r.contract?.expiry, T + 2 * D);
    assert.equal(r.contract?.premium, 2.0);
    assert.equal(r.contract?.iv, 0.44);
  });

  test('one strike out of the money: above ATM for a call, below for a put', () => {
    const otm = { ...RULE, moneyness: 'OTM1' } as const;
    const call = selectContract('BUY', chain(), T, otm);
    assert.equal(call.contract?.strike, 105);
    assert.ok(Math.abs(call.contract.premium - 1.6) < 1e-15);
    const put = selectContract('SELL', chain(), T, otm);
    assert.equal(put.contract?.strike, 95);
    assert.equal(put.contract?.premium, 1.0);
  });

  test('the minimum time to expiry is inclusive and moves the choice to a later expiry', () => {
    assert.equal(selectContract('BUY', chain(), T, { ...RULE, minTimeToExpiryMs: 2 * D }).contract?.expiry, T + 2 * D);
    const later = selectContract('BUY', chain(), T, { ...RULE, minTimeToExpiryMs: 2 * D + 1 });
    assert.equal(later.contract?.expiry, T + 9 * D);
    assert.equal(later.contract?.premium, 5.2);
    assert.equal(selectContract('BUY', chain(), T, { ...RULE, minTimeToExpiryMs: 0 }).contract?.expiry, T + 2 * H);
    const none = selectContract('BUY', chain(), T, { ...RULE, minTimeToExpiryMs: 10 * D });
    assert.equal(none.contract, null);
    assert.match(none.reason, /no call expiring/);
  });

  test('a tie between two strikes equally near spot goes to the lower strike', () => {
    // Spot 102.5: |100 - 102.5| = |105 - 102.5| = 2.5.
    assert.equal(selectContract('BUY', chain({ spot: 102.5 }), T, RULE).contract?.strike, 100);
    assert.equal(selectContract('SELL', chain({ spot: 102.5 }), T, RULE).contract?.strike, 100);
    // Just past the midpoint, the upper one.
    assert.equal(selectContract('BUY', chain({ spot: 102.51 }), T, RULE).contract?.strike, 105);
  });

  test('no bid/ask: the last price, said so; no OTM strike listed beyond ATM: none', () => {
    // Spot 104: ATM 105; the 105 put has only a last price.
    const put = selectContract('SELL', chain({ spot: 104 }), T, RULE);
    assert.deepEqual([put.contract?.strike, put.contract?.premium, put.contract?.premiumSource], [105, 4.4, 'LAST']);
    // Spot 94: ATM 95, the lowest listed put strike: no put one strike further out.
    const r = selectContract('SELL', chain({ spot: 94 }), T, { ...RULE, moneyness: 'OTM1' });
    assert.equal(r.contract, null);
    assert.match(r.reason, /no strike one out of the money beyond 95/);
    // A null IV stays null.
    assert.equal(selectContract('BUY', chain({ spot: 111 }), T, RULE).contract?.iv, null);
  });

  test('stale chain: older than the bound (exclusive) names no contract, with the age in the reason', () => {
    assert.notEqual(selectContract('BUY', chain({ tsEvent: T - 300_000 }), T, RULE).contract, null);
    const r = selectContract('BUY', chain({ tsEvent: T - 300_001 }), T, RULE);
    assert.equal(r.contract, null);
    assert.equal(r.reason, 'option chain 300001 ms old at bar end (bound 300000 ms)');
  });

  test('no chain, HOLD, no price: no contract', () => {
    assert.deepEqual(selectContract('BUY', null, T, RULE), { contract: null, reason: 'no option chain' });
    assert.equal(selectContract('HOLD', chain(), T, RULE).contract, null);
    const unpriced = chain({ contracts: CONTRACTS.map((x) => ({ ...x, bid: null, ask: null, last: null })) });
    assert.match(selectContract('BUY', unpriced, T, RULE).reason!, /no price for the 100 call/);
  });

  test('premiumOf: mid needs 0 < bid <= ask, else last', () => {
    assert.deepEqual(premiumOf(c(T, 1, 'C', 2, 3, 9, null)), { premium: 2.5, source: 'MID' });
    assert.deepEqual(premiumOf(c(T, 1, 'C', 3, 2, 9, null)), { premium: 9, source: 'LAST' });
    assert.deepEqual(premiumOf(c(T, 1, 'C', 0, 2, 9, null)), { premium: 9, source: 'LAST' });
    assert.equal(premiumOf(c(T, 1, 'C', null, 2, null, null)), null);
  });

  test('defaults: one day, ATM, five minutes', () => {
    assert.deepEqual({ ...DEFAULT_CONTRACT_RULE }, { minTimeToExpiryMs: 86_400_000, moneyness: 'ATM', maxChainAgeMs: 300_000 });
  });
});

describe('infer names the contract', () => {
  const POLICY: DecisionPolicy = { version: 1, moveSource: 'classes', roundTripCost: 0.0014, minNetEdge: 0, classMoves: [0.004, 0, -0.004], kellyFraction: 0.5, maxSize: 1, stopAtr: 2, targetAtr: 3, timeoutBars: 6, barIntervalMs: 300_000 };
  const predictor = (policy: DecisionPolicy): Predictor => ({ modelId: 'm', featureSetHash: 'h', featureNames: ['case', 'atr_14_pct'], policy, predict: (row) => (row[0] === 1 ? [0.8, 0.1, 0.1] : row[0] === -1 ? [0.1, 0.1, 0.8] : [0.45, 0.35, 0.2]) });
  const bar = (close: number): Flow => {
    const b: Bar = { tsEvent: T, tsInit: T, symbol: 'SPY', interval: '5m', start: T - 300_000, end: T, open: close, high: close, low: close, close, volume: 1, buyVolume: null, vwap: close, trades: 1 };
    return { kind: 'bar', bar: b, inputs: [] };
  };
  const vector = (k: number, ch: OptionChainSnapshot | null): Flow => ({ kind: 'features', vector: { tsEvent: T, tsInit: T, symbol: 'SPY', interval: '5m', barEnd: T, featureSetId: 'x', featureSetHash: 'h', features: { case: k, atr_14_pct: 0.001 } }, inputs: [], chain: ch });
  async function one(policy: DecisionPolicy, k: number, ch: OptionChainSnapshot | null): Promise<Signal> {
    const out = await lastValueFrom(from([bar(102), vector(k, ch)]).pipe(infer(predictor(policy), DEFAULT_SIGNAL_RULE, newGraphStats()), toArray()));
    const s = out.flatMap((e) => (e.kind === 'signal' ? [e.signal] : []))[0];
    assert.ok(s);
    return s;
  }
  const WITH_RULE = { ...POLICY, contract: RULE };

  test('BUY -> call, SELL -> put, HOLD -> null', async () => {
    const buy = await one(WITH_RULE, 1, chain());
    assert.equal(buy.action, 'BUY');
    assert.deepEqual(buy.contract, { underlying: 'SPY', expiry: T + 2 * D, strike: 100, right: 'CALL', premium: 4.0, premiumSource: 'MID', iv: 0.4, chainAt: T - 60_000 });
    assert.equal(buy.reason, null);
    const sell = await one(WITH_RULE, -1, chain());
    assert.equal(sell.contract?.right, 'PUT');
    const hold = await one(WITH_RULE, 0, chain());
    assert.equal(hold.action, 'HOLD');
    assert.equal(hold.contract, null);
    assert.equal(hold.reason, 'cost exceeds expected move');
  });

  test('a stale chain: the trade stands, no contract, the reason says why', async () => {
    const s = await one(WITH_RULE, 1, chain({ tsEvent: T - 600_000 }));
    assert.equal(s.action, 'BUY');
    assert.equal(s.contract, null);
    assert.equal(s.reason, 'no contract: option chain 600000 ms old at bar end (bound 300000 ms)');
  });

  test('no chain, or a policy from before the contract rule: the field is left out (the signal as recorded before)', async () => {
    assert.equal('contract' in (await one(WITH_RULE, 1, null)), false);
    const old = await one(POLICY, 1, chain());
    assert.equal('contract' in old, false);
    assert.equal(old.reason, null);
  });
});

/** selectContract as written before D139 (filter, Set, sort): the reference the one-pass version must equal. */
function arraySelectContract(action: 'BUY' | 'SELL' | 'HOLD', ch: OptionChainSnapshot, barEnd: number, rule: ContractRule): unknown {
  if (action === 'HOLD') return { contract: null, reason: 'HOLD' };
  const age = barEnd - ch.tsEvent;
  if (age > rule.maxChainAgeMs) return { contract: null, reason: `option chain ${age} ms old at bar end (bound ${rule.maxChainAgeMs} ms)` };
  const right = action === 'BUY' ? 'C' : 'P';
  let expiry: number | null = null;
  for (const k of ch.contracts) if (k.right === right && k.expiry - barEnd >= rule.minTimeToExpiryMs && (expiry === null || k.expiry < expiry)) expiry = k.expiry;
  if (expiry === null) return { contract: null, reason: `no ${right === 'C' ? 'call' : 'put'} expiring at least ${rule.minTimeToExpiryMs} ms after bar end` };
  const rows = ch.contracts.filter((k) => k.right === right && k.expiry === expiry);
  const strikes = [...new Set(rows.map((k) => k.strike))].sort((a, b) => a - b);
  if (!(Number.isFinite(ch.spot) && ch.spot > 0)) return { contract: null, reason: 'option chain has no usable spot' };
  let atm = 0;
  for (let i = 1; i < strikes.length; i++) if (Math.abs((strikes[i] as number) - ch.spot) < Math.abs((strikes[atm] as number) - ch.spot)) atm = i;
  const strike = strikes[rule.moneyness === 'ATM' ? atm : right === 'C' ? atm + 1 : atm - 1];
  if (strike === undefined) return { contract: null, reason: `no strike one out of the money beyond ${strikes[atm]}` };
  for (const k of rows) {
    if (k.strike !== strike) continue;
    const p = premiumOf(k);
    if (p === null) continue;
    const iv = k.iv !== null && Number.isFinite(k.iv) && k.iv > 0 ? k.iv : null;
    return { contract: { underlying: ch.underlying, expiry, strike, right: right === 'C' ? 'CALL' : 'PUT', premium: p.premium, premiumSource: p.source, iv, chainAt: ch.tsEvent }, reason: null };
  }
  return { contract: null, reason: `no price for the ${strike} ${right === 'C' ? 'call' : 'put'}` };
}

describe('selectContract in one pass (D139)', () => {
  test('the same choice and reason as the filter/Set/sort version on 3,000 random chains (ties, duplicate rows, missing prices, edge strikes)', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    let contracts = 0;
    for (let n = 0; n < 3000; n++) {
      const rows: OptionContract[] = [];
      const m = Math.floor(rnd() * 12);
      for (let i = 0; i < m; i++) {
        const priced = rnd();
        rows.push(c(T + pick([2 * H, 2 * D, 9 * D]), pick([95, 97.5, 100, 102.5, 105, 110]), pick(['C', 'P'] as const), priced < 0.6 ? 1 : null, priced < 0.6 ? 1.2 : null, priced < 0.8 ? 1.1 : null, pick([0.4, null])));
      }
      const ch = chain({ contracts: rows, spot: pick([101.25, 100, 102.5, 103.75, 0]) });
      for (const action of ['BUY', 'SELL', 'HOLD'] as const) {
        for (const moneyness of ['ATM', 'OTM1'] as const) {
          const rule = { ...RULE, moneyness };
          const got = selectContract(action, ch, T, rule);
          assert.deepEqual(got, arraySelectContract(action, ch, T, rule), `chain ${n} ${action} ${moneyness}`);
          if (got.contract !== null) contracts++;
        }
      }
    }
    assert.ok(contracts > 1000, `only ${contracts} choices named a contract: the cases do not exercise the choice`);
  });
});
