/**
 * Multi-timeframe alignment without look-ahead: at a 5m close the vector uses the 1m bar ending then
 * (fed before the 5m bar), but never a 15m/1h bar ending at or after it (fed after the 5m bar).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar } from '../../../schemas/bar.ts';
import { FULL_FEATURE_SET } from '../../../processors/features/full/full-feature-set.ts';
import { Rsi } from '../../../processors/features/rsi.ts';
import { multiBars, perturb } from './multi-bars.ts';

const MIN = 60_000;
const bars = multiBars(24 * 60, 7); // one day: 1440 1m, 288 5m, 96 15m, 24 1h bars

/** Feeds bars in order; returns the vector at every 5m close, keyed by barEnd. */
function run(input: readonly Bar[]): Map<number, Record<string, number | null>> {
  const st = FULL_FEATURE_SET.create('X');
  const out = new Map<number, Record<string, number | null>>();
  for (const b of input) {
    st.onBar(b);
    if (b.interval === '5m') out.set(b.end, st.vector(() => null, b.end));
  }
  return out;
}

describe('multi-timeframe features', () => {
  const base = run(bars);

  test('the 1h and 15m columns warm up within the day (so the checks below compare numbers)', () => {
    const last = [...base.values()].at(-1) as Record<string, number | null>;
    for (const k of ['rsi_14_1h', 'rsi_14_15m', 'bb_pctb_20_15m', 'rv_10_1h', 'ret_1_1m', 'bb_pctb_20_1m']) assert.notEqual(last[k], null, k);
  });

  test('a vector at barEnd never changes when everything fed after its 5m bar is different', () => {
    for (const cut of [12 * 60, 15 * 60, 17 * 60 + 5, 20 * 60 + 45].map((m) => bars[0]!.start + m * MIN)) {
      const i5 = bars.findIndex((b) => b.interval === '5m' && b.end === cut);
      assert.ok(i5 > 0);
      // Bars after the 5m bar at `cut` (incl. the 15m/1h bars ending at `cut`) get other prices.
      const altered = bars.map((b, i) => (i > i5 ? perturb(b, 1 + 0.01 * ((i % 5) + 1)) : b));
      assert.ok(altered.slice(i5 + 1).some((b) => b.end === cut && b.interval === '1h') || cut % 3_600_000 !== 0);
      const other = run(altered);
      for (const [t, v] of base) {
        if (t <= cut) assert.deepStrictEqual(other.get(t), v, `vector at ${t} (cut ${cut})`);
      }
      assert.notDeepStrictEqual(other.get(cut + 5 * MIN), base.get(cut + 5 * MIN), 'the future did change');
    }
  });

  test('15m/1h values come from bars ending strictly before barEnd; 1m from bars ending at or before it', () => {
    for (const [interval, strict] of [['15m', true], ['1h', true], ['1m', false]] as const) {
      for (const t of [13 * 60, 14 * 60 + 55, 18 * 60 + 15, 23 * 60 + 30].map((m) => bars[0]!.start + m * MIN)) {
        const rsi = new Rsi(14);
        for (const b of bars) if (b.interval === interval && (strict ? b.end < t : b.end <= t)) rsi.add(b.close);
        assert.equal(base.get(t)?.[`rsi_14_${interval}`], rsi.getResult(), `${interval} at ${t}`);
      }
    }
  });

  test('a higher-timeframe bar ending after barEnd (fed out of order) is refused: its columns are null', () => {
    const st = FULL_FEATURE_SET.create('X');
    const t = bars[0]!.start + 20 * 60 * MIN;
    for (const b of bars) if (b.end <= t && !(b.end === t && (b.interval === '15m' || b.interval === '1h'))) st.onBar(b);
    const before = st.vector(() => null, t);
    assert.notEqual(before.rsi_14_1h, null);
    const future1h = bars.find((b) => b.interval === '1h' && b.end > t) as Bar;
    st.onBar(future1h);
    const after = st.vector(() => null, t);
    assert.equal(after.rsi_14_1h, null);
    assert.equal(after.ret_1_1h, null);
    assert.deepStrictEqual({ ...after, rsi_14_1h: 0, ret_1_1h: 0, rv_10_1h: 0, bb_pctb_20_1h: 0 }, { ...before, rsi_14_1h: 0, ret_1_1h: 0, rv_10_1h: 0, bb_pctb_20_1h: 0 });
  });

  test('a gap longer than one interval makes that interval stale (null), not silently old', () => {
    const st = FULL_FEATURE_SET.create('X');
    // Feed everything up to 12:00 but no 1m bars after 11:00.
    const t = bars[0]!.start + 12 * 60 * MIN;
    for (const b of bars) if (b.end <= t && !(b.interval === '1m' && b.end > t - 60 * MIN) && !(b.end === t && b.interval !== '5m' && b.interval !== '1m')) st.onBar(b);
    const v = st.vector(() => null, t);
    assert.equal(v.rsi_14_1m, null);
    assert.notEqual(v.rsi_14_15m, null);
  });
});
