import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsOfBuffer } from '../../../processors/features/as-of-buffer.ts';

/** Linear-scan definition of asOf, to check the binary search against. */
function naiveAsOf<T>(entries: [number, T][], t: number): T | null {
  let out: T | null = null;
  for (const [at, v] of entries) if (at <= t) out = v;
  return out;
}

describe('AsOfBuffer', () => {
  test('asOf(t) is the latest value available at or before t; null before the first', () => {
    const b = new AsOfBuffer<string>();
    b.push(10, 'a');
    b.push(20, 'b');
    b.push(20, 'c'); // same time: the later push wins
    b.push(35, 'd');
    assert.equal(b.asOf(9), null);
    assert.equal(b.asOf(10), 'a');
    assert.equal(b.asOf(19), 'a');
    assert.equal(b.asOf(20), 'c');
    assert.equal(b.asOf(34), 'c');
    assert.equal(b.asOf(1e15), 'd');
  });

  test('matches a linear scan on many times', () => {
    const b = new AsOfBuffer<number>({ capacity: 1000 });
    const entries: [number, number][] = [];
    let at = 0;
    for (let i = 0; i < 300; i++) {
      at += i % 4 === 0 ? 0 : (i * 7) % 5; // includes repeated times
      b.push(at, i);
      entries.push([at, i]);
    }
    for (let q = -1; q <= at + 1; q++) assert.equal(b.asOf(q), naiveAsOf(entries, q), `asOf(${q})`);
  });

  test('push throws when time goes backwards, and keeps the buffer intact', () => {
    const b = new AsOfBuffer<string>();
    b.push(10, 'a');
    assert.throws(() => b.push(9, 'x'), RangeError);
    assert.throws(() => b.push(NaN, 'x'), RangeError);
    assert.equal(b.size, 1);
    assert.equal(b.asOf(100), 'a');
  });

  test('evictBefore(t) keeps the value in force at t, so asOf(t\') for t\' >= t is unchanged', () => {
    const b = new AsOfBuffer<string>();
    const entries: [number, string][] = [[10, 'a'], [20, 'b'], [30, 'c'], [40, 'd']];
    for (const [at, v] of entries) b.push(at, v);
    b.evictBefore(35);
    assert.equal(b.size, 2); // 'c' (in force at 35) and 'd'
    for (const q of [35, 39, 40, 100]) assert.equal(b.asOf(q), naiveAsOf(entries, q));
    assert.equal(b.asOf(25), null, 'older values are gone');
    b.evictBefore(5); // nothing at or before 5: nothing to drop
    assert.equal(b.size, 2);
    b.evictBefore(1000);
    assert.equal(b.size, 1);
    assert.equal(b.asOf(1000), 'd');
  });

  test('memory stays bounded by capacity; the oldest entries go first', () => {
    const b = new AsOfBuffer<number>({ capacity: 8 });
    for (let i = 0; i < 10_000; i++) {
      b.push(i, i);
      assert.ok(b.size <= 8);
    }
    assert.equal(b.size, 8);
    // The backing arrays too (dead slots are compacted lazily): at most 2·capacity + 32.
    const internal = b as unknown as { times: number[]; values: unknown[] };
    assert.ok(internal.times.length <= 2 * 8 + 32 && internal.values.length === internal.times.length);
    assert.equal(b.asOf(9_991), null, 'dropped');
    assert.equal(b.asOf(9_992), 9_992);
    assert.equal(b.asOf(20_000), 9_999);
    assert.throws(() => new AsOfBuffer({ capacity: 0 }), RangeError);
  });

  test('snapshot → JSON → restore answers the same queries', () => {
    const a = new AsOfBuffer<{ x: number }>({ capacity: 4 });
    for (let i = 0; i < 6; i++) a.push(i * 10, { x: i });
    a.evictBefore(35);
    const b = new AsOfBuffer<{ x: number }>({ capacity: 4 });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    assert.equal(b.size, a.size);
    for (let q = 0; q <= 60; q += 5) assert.deepEqual(b.asOf(q), a.asOf(q));
    assert.throws(() => b.restore({}), TypeError);
  });
});
