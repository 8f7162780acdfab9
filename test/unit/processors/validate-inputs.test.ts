import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { validateInputs } from '../../../processors/operators/validate-inputs.ts';
import type { InputEvent } from '../../../processors/types.ts';
import type { Bar, OptionChainSnapshot, Trade } from '../../../schemas/index.ts';

const newScheduler = (): TestScheduler => new TestScheduler((a, e) => assert.deepStrictEqual(a, e));
const EMPTY = new Uint8Array(0);

function trade(offset: number, price: number, size = 1): InputEvent {
  const value: Trade = { tsEvent: 1_000 + offset, tsInit: 1_005 + offset, symbol: 'BTC', price, size, side: 'BUY', tradeId: offset };
  return { kind: 'trade', pos: { topic: 'trades', partition: 2, offset }, value };
}
function chain(offset: number, spot: number, openInterest = 5): InputEvent {
  const value: OptionChainSnapshot = {
    tsEvent: 2_000, tsInit: 2_007, underlying: 'BTC', spot,
    contracts: [{ expiry: 90_000, strike: 100, right: 'C', bid: null, ask: null, last: null, iv: null, delta: null, gamma: null, openInterest, volume: 1 }],
  };
  return { kind: 'chain', pos: { topic: 'chains', partition: 0, offset }, value };
}
function candle(offset: number, high: number, low: number): InputEvent {
  const value: Bar = { tsEvent: 60_000, tsInit: 60_000, symbol: 'ETH', interval: '1m', start: 0, end: 60_000, open: low, high, low, close: low, volume: 3, buyVolume: 1, vwap: low, trades: 2 };
  return { kind: 'candle', pos: { topic: 'candles', partition: 1, offset }, value };
}

/** Marble frames are arrival order; each input's output comes in the same frame. */
describe('validateInputs (marble)', () => {
  test('valid trades, chains and candles pass unchanged in arrival order, counted', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const a = trade(0, 100);
      const b = chain(1, 101);
      const c = candle(2, 12, 10);
      const d = trade(3, 102);
      const stats = newGraphStats();
      const out = cold('a-bc--d|', { a, b, c, d }).pipe(validateInputs(stats));
      expectObservable(out).toBe('a-bc--d|', { a, b, c, d });
      flush();
      assert.deepEqual(stats, { ...newGraphStats(), inputs: 4, trades: 2, chains: 1 });
    });
  });

  test('invalid inputs become dead letters with their reason, in the frame of their input, between valid ones', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const a = trade(10, 100);
      const b = trade(11, -1); // non-positive price
      const c = chain(12, 0); // spot 0
      const d = candle(13, 9, 10); // high below low
      const e = chain(14, 101, -3); // negative open interest
      const f = trade(15, 100, 0); // size 0
      const g = chain(16, 102);
      const stats = newGraphStats();
      const out = cold('ab-c-de-fg|', { a, b, c, d, e, f, g }).pipe(validateInputs(stats));
      const dl = (tsInit: number, topic: string, partition: number, offset: number, key: string, reason: string): Flow => ({
        kind: 'deadLetter',
        deadLetter: { tsInit, topic, partition, offset, key, reason, payload: EMPTY },
      });
      expectObservable(out).toBe('ab-c-de-fg|', {
        a,
        b: dl(1_016, 'trades', 2, 11, 'BTC', 'trade: non-positive or non-finite price -1'),
        c: dl(2_007, 'chains', 0, 12, 'BTC', 'chain: spot <= 0 or non-finite (0)'),
        d: dl(60_000, 'candles', 1, 13, 'ETH', 'candle: high 9 below low 10'),
        e: dl(2_007, 'chains', 0, 14, 'BTC', 'chain: bad open interest -3'),
        f: dl(1_020, 'trades', 2, 15, 'BTC', 'trade: non-positive or non-finite size 0'),
        g,
      });
      flush();
      assert.equal(stats.inputs, 7);
      assert.equal(stats.trades, 1); // only valid trades count as trades
      assert.equal(stats.chains, 1);
      assert.equal(stats.deadLetters, 5);
      // Each problem is counted under its own code, not under its record kind.
      assert.deepEqual(stats.deadLetterReasons, {
        'trade:non-positive-price': 1, 'chain:non-positive-spot': 1, 'candle:high-below-low': 1, 'chain:bad-open-interest': 1, 'trade:non-positive-size': 1,
      });
    });
  });

  test('an undecodable record becomes a dead letter carrying its key, tsInit and raw payload', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const payload = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
      const u: InputEvent = { kind: 'undecodable', pos: { topic: 'trades', partition: 3, offset: 41 }, key: 'SOL', tsInit: 7_777, reason: 'unknown schema id 9', payload };
      const a = trade(42, 100);
      const stats = newGraphStats();
      const out = cold('-u-a|', { u, a }).pipe(validateInputs(stats));
      expectObservable(out).toBe('-x-a|', {
        x: { kind: 'deadLetter', deadLetter: { tsInit: 7_777, topic: 'trades', partition: 3, offset: 41, key: 'SOL', reason: 'decode: unknown schema id 9', payload } },
        a,
      });
      flush();
      assert.deepEqual(stats, { ...newGraphStats(), inputs: 2, trades: 1, deadLetters: 1, deadLetterReasons: { 'decode:undecodable': 1 } });
    });
  });

  test('the same problem with different values counts under one code (counters stay bounded)', () => {
    const stats = newGraphStats();
    new TestScheduler(() => undefined).run(({ cold }) => {
      cold('abcd|', { a: trade(0, -1), b: trade(1, 0), c: trade(2, Number.NaN), d: trade(3, 5, -2) }).pipe(validateInputs(stats)).subscribe();
    });
    assert.deepEqual(stats.deadLetterReasons, { 'trade:non-positive-price': 3, 'trade:non-positive-size': 1 });
  });
});
