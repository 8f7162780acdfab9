import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelError } from '../../../model/errors.ts';
import { chronologicalSplit } from '../../../model/split.ts';

const STEP = 300_000; // 5-minute bars
const H = 6 * STEP; // 30-minute label horizon
const E = 6 * STEP; // 30-minute embargo

/** barEnd column of `bars` bars x `symbols` rows each, sorted like the dataset. */
function barEnds(bars: number, symbols: number): Float64Array {
  const out = new Float64Array(bars * symbols);
  for (let b = 0; b < bars; b++) for (let s = 0; s < symbols; s++) out[b * symbols + s] = 1_700_000_000_000 + b * STEP;
  return out;
}

const at = (t: ArrayLike<number>, idx: Uint32Array): number[] => Array.from(idx, (i) => t[i] as number);

describe('chronologicalSplit', () => {
  test('splits are in time order, separated by more than horizon + embargo', () => {
    const t = barEnds(200, 3);
    const s = chronologicalSplit(t, { horizonMs: H, embargoMs: E });
    const [train, val, test] = [at(t, s.train), at(t, s.validation), at(t, s.test)];
    assert.ok(Math.max(...train) + H + E < Math.min(...val));
    assert.ok(Math.max(...val) + H + E < Math.min(...test));
    assert.ok(Math.max(...train) < Math.min(...test));
  });

  test('drops exactly the purged and embargoed rows around each boundary', () => {
    const t = barEnds(200, 3);
    const s = chronologicalSplit(t, { horizonMs: H, embargoMs: E });
    const kept = new Set([...s.train, ...s.validation, ...s.test]);
    for (const boundary of [s.summary.validationStart, s.summary.testStart]) {
      for (let i = 0; i < t.length; i++) {
        const ti = t[i] as number;
        // purge window [T - H, T) and embargo window [T, T + E) are absent from every split
        if (ti >= boundary - H && ti < boundary + E) assert.ok(!kept.has(i), `row at ${ti} should be dropped`);
      }
    }
    // each window is 6 bars of 3 symbols, at 2 boundaries
    assert.equal(s.summary.purged, 6 * 3 * 2);
    assert.equal(s.summary.embargoed, 6 * 3 * 2);
    assert.equal(kept.size + s.summary.purged + s.summary.embargoed, t.length);
  });

  test('boundaries sit at the 70 % and 85 % rows and never cut a bar in two', () => {
    const t = barEnds(101, 3); // 303 rows: row floor(0.7 * 303) = 212 is the 3rd symbol of bar 70
    const s = chronologicalSplit(t, { horizonMs: 0, embargoMs: 0 });
    assert.equal(s.summary.validationStart, t[212]);
    assert.equal(s.summary.testStart, t[Math.floor(303 * 0.85)]);
    const where = new Map<number, Set<string>>();
    const mark = (idx: Uint32Array, name: string): void =>
      idx.forEach((i) => where.set(t[i] as number, (where.get(t[i] as number) ?? new Set()).add(name)));
    mark(s.train, 'train');
    mark(s.validation, 'validation');
    mark(s.test, 'test');
    for (const [barEnd, sets] of where) assert.equal(sets.size, 1, `bar ${barEnd} is in ${[...sets].join(', ')}`);
    // with no horizon and no embargo nothing is dropped
    assert.equal(s.train.length + s.validation.length + s.test.length, 303);
    assert.equal(s.train.length, 210);
  });

  test('a dataset too short for its horizon and embargo is refused', () => {
    assert.throws(
      () => chronologicalSplit(barEnds(20, 2), { horizonMs: H, embargoMs: E }),
      (e: unknown) => e instanceof ModelError && e.code === 'DATASET_TOO_SHORT' && /empty/.test(e.message),
    );
  });

  test('bad fractions and unsorted times are refused', () => {
    const t = barEnds(100, 1);
    assert.throws(() => chronologicalSplit(t, { fractions: { train: 0.8, validation: 0.15, test: 0.15 } }), /sum to 1/);
    const shuffled = Float64Array.from(t).reverse();
    assert.throws(() => chronologicalSplit(shuffled), /non-decreasing/);
  });
});
