/** IvRank hand-computed: rank = (x - min)/(max - min) over the window incl. x; percentile = share of the others < x. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IvRank } from '../../../processors/features/full/iv-rank.ts';

const close = (got: number | null | undefined, want: number): void => assert.ok(got != null && Math.abs(got - want) < 1e-12, `got ${String(got)}, want ${want}`);

describe('IvRank(lookback 4, minPeriods 3)', () => {
  test('window grows to 4 values, then slides', () => {
    const r = new IvRank(4, 3);
    assert.equal(r.add(0.2), null);
    assert.equal(r.add(0.3), null);
    // [0.2, 0.3, 0.25]: rank (0.25-0.2)/(0.3-0.2) = 0.5; one of the two others (0.2) is below → 0.5
    let x = r.add(0.25);
    close(x?.rank, 0.5);
    close(x?.percentile, 0.5);
    // [0.2, 0.3, 0.25, 0.4]: the maximum → rank 1, all 3 others below → 1
    x = r.add(0.4);
    close(x?.rank, 1);
    close(x?.percentile, 1);
    // 0.2 drops out: [0.3, 0.25, 0.4, 0.3]: rank (0.3-0.25)/0.15 = 1/3; below 0.3 only 0.25 → 1/3
    x = r.add(0.3);
    close(x?.rank, 1 / 3);
    close(x?.percentile, 1 / 3);
  });

  test('a null IV gives null and is not stored; replace() can swap a stored value for null and back', () => {
    const r = new IvRank(4, 3);
    for (const v of [0.2, 0.3, 0.25, 0.4]) r.add(v);
    assert.equal(r.add(null), null);
    close(r.add(0.3)?.rank, 1 / 3); // same as if the null had not been there
    assert.equal(r.replace(null), null);
    // The 0.2 pushed out by 0.3 is back: [0.2, 0.3, 0.25, 0.4] + 0.1 → [0.3, 0.25, 0.4, 0.1]: rank 0, pct 0
    const x = r.add(0.1);
    close(x?.rank, 0);
    close(x?.percentile, 0);
  });

  test('all equal: rank null (no range), percentile 0', () => {
    const r = new IvRank(4, 3);
    r.add(0.2);
    r.add(0.2);
    assert.deepEqual(r.add(0.2), { rank: null, percentile: 0 });
  });
});
