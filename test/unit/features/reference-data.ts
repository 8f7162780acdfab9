/**
 * Test data for the feature known-value tests: the committed bars (test/fixtures/features/bars.csv,
 * made by make_bars.py) and the independent pandas/numpy reference computed from them
 * (reference.json, made by make_reference.py), plus the comparison rule.
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { Bar } from '../../../schemas/bar.ts';

const FIXTURES = new URL('../../fixtures/features/', import.meta.url);

export function loadBars(): Bar[] {
  const lines = readFileSync(new URL('bars.csv', FIXTURES), 'utf8').trim().split('\n');
  const header = (lines.shift() ?? '').split(',');
  const expected = 'tsEvent,open,high,low,close,volume,buyVolume,vwap';
  assert.equal(header.join(','), expected, 'bars.csv header');
  return lines.map((line) => {
    const [ts, open, high, low, close, volume, buy, vwap] = line.split(',');
    const tsEvent = Number(ts);
    return {
      tsEvent,
      tsInit: tsEvent,
      symbol: 'TEST',
      interval: '5m',
      start: tsEvent - 300_000,
      end: tsEvent,
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
      buyVolume: buy === '' || buy === undefined ? null : Number(buy),
      vwap: Number(vwap),
      trades: 1,
    };
  });
}

export interface Reference {
  features: string[];
  rows: Array<Record<string, number | null> & { tsEvent: number }>;
}

export function loadReference(): Reference {
  return JSON.parse(readFileSync(new URL('reference.json', FIXTURES), 'utf8')) as Reference;
}

export interface StockChartsRsi {
  period: number;
  firstClose: number;
  changes: number[];
  rsiFromIndex: number;
  rsi: number[];
}

export function loadStockChartsRsi(): StockChartsRsi {
  return JSON.parse(readFileSync(new URL('stockcharts-rsi.json', FIXTURES), 'utf8')) as StockChartsRsi;
}

/** Relative precision of the known-value comparisons. */
export const REL_TOL = 1e-9;
/** Absolute floor so two results that are both (almost) exactly 0 compare equal. */
export const ABS_FLOOR = 1e-15;

/** Asserts |got - want| <= REL_TOL·max(|got|, |want|) + ABS_FLOOR, and null exactly where want is null. */
export function assertClose(got: number | null, want: number | null, what: string): void {
  if (want === null || got === null) {
    assert.equal(got, want, `${what}: expected ${String(want)}, got ${String(got)}`);
    return;
  }
  const tol = REL_TOL * Math.max(Math.abs(got), Math.abs(want)) + ABS_FLOOR;
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (|diff| ${Math.abs(got - want)} > ${tol})`);
}
