/**
 * The candlestick detectors bar by bar against the committed reference flags
 * (test/fixtures/patterns/make_reference.py → *.reference.csv): TA-Lib 0.8.1's own CDL* functions
 * for the TA-Lib patterns, a pandas implementation of docs/patterns.md for the others, on real AVAX
 * 5-minute bars (resampled at test time from ../shared/data by test/helpers/avax-5m.ts, the same bars
 * make_ohlc.py gives the reference script; skipped with a message where that file is absent) and on
 * seeded synthetic bars rich in three-candle patterns (synthetic.csv, always run).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PATTERN_NAMES, PATTERN_WINDOW, detectPatterns } from '../../../processors/features/patterns/candle-patterns.ts';
import type { Candle } from '../../../processors/features/patterns/candle-settings.ts';
import { AVAX_1M_ABSENT, avax1mPresent, avax5mBars } from '../../helpers/avax-5m.ts';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'patterns');

function readCsv(file: string): Record<string, string>[] {
  const lines = readFileSync(join(DIR, file), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const header = (lines[0] as string).split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] as string]));
  });
}

const SERIES: { name: string; source: string; skip: string | false; bars: () => (Candle & { end: number })[] }[] = [
  { name: 'ohlc', source: 'real AVAX 5m bars from ../shared/data', skip: avax1mPresent() ? false : AVAX_1M_ABSENT, bars: () => avax5mBars() },
  {
    name: 'synthetic',
    source: 'synthetic.csv',
    skip: false,
    bars: () => readCsv('synthetic.csv').map((r) => ({ end: Number(r.end), open: Number(r.open), high: Number(r.high), low: Number(r.low), close: Number(r.close) })),
  },
];

for (const series of SERIES) {
  describe(`candlestick patterns on ${series.source} against ${series.name}.reference.csv`, { skip: series.skip }, () => {
    if (series.skip !== false) return;
    const timed = series.bars();
    const bars: Candle[] = timed.map((b) => ({ open: b.open, high: b.high, low: b.low, close: b.close }));
    const ref = readCsv(`${series.name}.reference.csv`);
    const got: boolean[][] = [];
    const window: Candle[] = [];
    for (const b of bars) {
      window.push(b);
      if (window.length > PATTERN_WINDOW) window.shift();
      got.push(detectPatterns(window));
    }

    test('bars and reference line up', () => {
      assert.equal(ref.length, bars.length);
      assert.deepEqual(timed.map((b) => b.end), ref.map((r) => Number(r.end)));
      assert.deepEqual(Object.keys(ref[0] as object).slice(1), [...PATTERN_NAMES]);
    });

    PATTERN_NAMES.forEach((name, k) => {
      test(name, () => {
        const want = ref.map((r) => r[name] === '1');
        const diff = want.flatMap((w, i) => (w !== got[i]?.[k] ? [`bar ${i} (end ${ref[i]?.end}): reference ${w}, tickflow ${got[i]?.[k]}`] : []));
        assert.deepEqual(diff, []);
      });
    });
  });
}

test('every pattern fires somewhere in the reference flags (the comparison is not vacuous)', () => {
  for (const name of PATTERN_NAMES) {
    const n = ['ohlc', 'synthetic'].reduce((s, f) => s + readCsv(`${f}.reference.csv`).filter((r) => r[name] === '1').length, 0);
    assert.ok(n > 0, name);
  }
});
