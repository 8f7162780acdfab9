import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RingWindow } from '../../../processors/features/ring-window.ts';

describe('RingWindow', () => {
  test('keeps the latest `capacity` values oldest first across wrap-around', () => {
    const w = new RingWindow<number>(3);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      w.push(i);
      seen.push(i);
      assert.deepEqual(w.toArray(), seen.slice(-3));
      assert.equal(w.last(), i);
      assert.equal(w.at(0), seen.slice(-3)[0]);
      assert.equal(w.isFull, i >= 2);
    }
  });

  test('replaceLast overwrites only the newest value, also after wrap-around', () => {
    const w = new RingWindow<number>(3);
    [1, 2, 3, 4].forEach((x) => w.push(x));
    w.replaceLast(40);
    assert.deepEqual(w.toArray(), [2, 3, 40]);
    assert.throws(() => new RingWindow<number>(2).replaceLast(1), RangeError);
  });

  test('load/clear and bounds', () => {
    const w = new RingWindow<number>(3);
    w.load([7, 8]);
    assert.deepEqual(w.toArray(), [7, 8]);
    assert.throws(() => w.at(2), RangeError);
    assert.throws(() => w.load([1, 2, 3, 4]), RangeError);
    w.clear();
    assert.equal(w.length, 0);
    assert.throws(() => new RingWindow(0), RangeError);
  });
});
