import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Bar, OptionChainSnapshot, Trade } from '../../../schemas/index.ts';
import { ingestFile } from '../../../sources/ingest/index.ts';
import { TIME_JUMP_CONFIRM, TimeGate, type Released } from '../../../sources/ingest/plausibility.ts';
import { tempDir } from '../../helpers/cli.ts';
import { readTopic, withLog } from './ingest-helpers.ts';

// "Now" pinned for the future bound: 2026-11-29T00:00:00Z = 1795910400000 (GNU `date -d 2026-11-29T00:00:00Z +%s`).
const NOW = 1795910400_000;
const T0 = Date.parse('2026-07-01T00:00:00Z');
const MIN = 60_000;

/** 1-minute candles from T0, one per row; `override` replaces the time text of some rows. */
function candleCsv(rows: number, override: Record<number, string> = {}, cell: Record<number, Partial<Record<'high' | 'volume', string>>> = {}): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < rows; i++) {
    const t = override[i] ?? new Date(T0 + i * MIN).toISOString();
    lines.push(`${t},100,${cell[i]?.high ?? '101'},99,100.5,${cell[i]?.volume ?? '10'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('plausibility bounds in ingest', () => {
  test('one candle dated 2100 neither blocks the rest of its file nor the genuine file afterwards', () =>
    withLog(async (access) => {
      const tmp = tempDir('tickflow-plaus-');
      try {
        const poisoned = join(tmp.dir, 'poisoned.csv');
        const genuine = join(tmp.dir, 'genuine.csv');
        // The first half of a day's candles with one row stamped 2100, then the whole day.
        writeFileSync(poisoned, candleCsv(500, { 10: '2100-01-01T00:00:00Z' }));
        writeFileSync(genuine, candleCsv(1000));
        const base = { format: 'ohlcv-csv' as const, symbol: 'XYZ', interval: '1m', nowMs: NOW };
        // Before the bound: 11 accepted (the 2100 one among them), 489 rejected out-of-order.
        const a = await ingestFile(access, { ...base, file: poisoned });
        assert.equal(a.accepted, 499);
        assert.deepEqual(a.reasons, { 'time-in-future': 1 });
        assert.equal(a.lastTs, T0 + 500 * MIN);
        // Before: 0 accepted, 989 older-than-log. Now the second half is appended; the poisoned
        // row's genuine candle lies behind the series' last candle (the log stays in time order).
        const b = await ingestFile(access, { ...base, file: genuine });
        assert.equal(b.accepted, 500);
        assert.deepEqual(b.reasons, { duplicate: 499, 'older-than-log': 1 });
        const bars = await readTopic<Bar>(access, 'candles');
        assert.equal(bars.length, 999);
        assert.ok(bars.every((x) => x.tsEvent <= T0 + 1000 * MIN));
      } finally {
        tmp.cleanup();
      }
    }));

  test('a jump within the past is rejected unless rows after it confirm it; a real gap followed by rows is kept', () =>
    withLog(async (access) => {
      const tmp = tempDir('tickflow-plaus-');
      try {
        // Row 5 mistyped 120 days ahead (still before "now", so only the jump check sees it). Rows
        // 20.. jump 90 days ahead for good (a suspension): confirmed by the rows after them.
        const later: Record<number, string> = { 5: new Date(T0 + 120 * 86_400_000).toISOString() };
        for (let i = 20; i < 40; i++) later[i] = new Date(T0 + 90 * 86_400_000 + i * MIN).toISOString();
        const file = join(tmp.dir, 'gap.csv');
        writeFileSync(file, candleCsv(40, later));
        const s = await ingestFile(access, { file, format: 'ohlcv-csv', symbol: 'XYZ', interval: '1m', nowMs: NOW });
        assert.deepEqual(s.reasons, { 'time-jump': 1 });
        assert.equal(s.accepted, 39);
        assert.equal(s.lastTs, T0 + 90 * 86_400_000 + 40 * MIN);
      } finally {
        tmp.cleanup();
      }
    }));

  test('high = 1e308 and volume = 1e30 are rejected as implausible; a future row never raises a mark taken from an old log', () =>
    withLog(async (access) => {
      const tmp = tempDir('tickflow-plaus-');
      try {
        const file = join(tmp.dir, 'big.csv');
        writeFileSync(file, candleCsv(10, {}, { 3: { high: '1e308' }, 4: { volume: '1e30' } }));
        const s = await ingestFile(access, { file, format: 'ohlcv-csv', symbol: 'XYZ', interval: '1m', nowMs: NOW });
        assert.deepEqual(s.reasons, { 'implausible-price': 1, 'implausible-size': 1 });
        assert.equal(s.accepted, 8);
        // A log poisoned before the bounds existed: a candle of 2100 already stored (appended by hand).
        const bar: Bar = { tsEvent: Date.parse('2100-01-01T00:01:00Z'), tsInit: Date.parse('2100-01-01T00:01:00Z'), symbol: 'XYZ', interval: '1m', start: Date.parse('2100-01-01T00:00:00Z'), end: Date.parse('2100-01-01T00:01:00Z'), open: 1, high: 1, low: 1, close: 1, volume: 1, buyVolume: null, vwap: 1, trades: 1 };
        await access.log.append('candles', [{ key: 'XYZ', timestamp: bar.tsEvent, value: access.encode('candles', bar) }]);
        const more = join(tmp.dir, 'more.csv');
        writeFileSync(more, candleCsv(20));
        const m = await ingestFile(access, { file: more, format: 'ohlcv-csv', symbol: 'XYZ', interval: '1m', nowMs: NOW });
        // Rows 3 and 4 lie behind the last stored genuine candle (row 9); rows 10.. are appended,
        // where the stored 2100 candle would have blocked them as older-than-log.
        assert.deepEqual(m.reasons, { duplicate: 8, 'older-than-log': 2 });
        assert.equal(m.accepted, 10);
      } finally {
        tmp.cleanup();
      }
    }));

  test('trades: a trade of 2100, a price of 1e308, then the genuine file', () =>
    withLog(async (access) => {
      const tmp = tempDir('tickflow-plaus-');
      try {
        const rows = (poison: boolean): string => {
          const l = ['time,price,size,side,id'];
          for (let i = 0; i < 50; i++) {
            const t = poison && i === 3 ? Date.parse('2100-01-01T00:00:00Z') : T0 + i * 1000;
            const price = poison && i === 7 ? '1e308' : String(100 + (i % 3));
            l.push(`${t},${price},1,buy,${i + 1}`);
          }
          return `${l.join('\n')}\n`;
        };
        const poisoned = join(tmp.dir, 'p.csv');
        const genuine = join(tmp.dir, 'g.csv');
        writeFileSync(poisoned, rows(true));
        writeFileSync(genuine, rows(false));
        const a = await ingestFile(access, { file: poisoned, format: 'trades', symbol: 'XYZ', nowMs: NOW });
        assert.deepEqual(a.reasons, { 'implausible-price': 1, 'time-in-future': 1 });
        assert.deepEqual(a.firstRejectedLine, { 'implausible-price': 9, 'time-in-future': 5 });
        assert.equal(a.accepted, 48);
        const b = await ingestFile(access, { file: genuine, format: 'trades', symbol: 'XYZ', nowMs: NOW });
        // Trade ids 4 and 8 come later than the last stored trade's time: they are older-than-log,
        // not blocked by a 2100 mark (before: all 50 older-than-log or duplicates).
        assert.deepEqual(b.reasons, { duplicate: 48, 'older-than-log': 2 });
        const trades = await readTopic<Trade>(access, 'trades');
        assert.equal(trades.length, 48);
      } finally {
        tmp.cleanup();
      }
    }));

  test('option chains: a snapshot dated 2099, a strike of 1e308, IVs abc/NaN/Infinity/-5 counted as dropped', () =>
    withLog(async (access) => {
      const tmp = tempDir('tickflow-plaus-');
      try {
        const head = 'timestamp,symbol,expiry,strike,option_type,spot,ltp,volume,oi,iv';
        const row = (ts: string, strike: string, iv: string): string => `${ts},NIFTY50,25-Aug-2026,${strike},CE,24212.8,${60 + Number(ts.slice(-2)) / 100},1000,500,${iv}`;
        const lines = [
          head,
          row('202608181043', '24200', '12.5'),
          row('202608181043', '24300', 'abc'),
          row('202608181043', '1e308', '12'),
          row('209908181044', '24200', '12.5'),
          row('202608181045', '24200', 'NaN'),
          row('202608181045', '24300', 'Infinity'),
          row('202608181046', '24200', '-5'),
          row('202608181046', '24300', '13'),
        ];
        const file = join(tmp.dir, 'chain.csv');
        writeFileSync(file, `${lines.join('\n')}\n`);
        const s = await ingestFile(access, { file, format: 'option-chain-long', tz: 'Asia/Kolkata', nowMs: NOW });
        assert.equal(s.accepted, 3);
        assert.deepEqual(s.rowReasons, { 'implausible-strike': 1, 'time-in-future': 1 });
        assert.deepEqual(s.valuesDropped, { 'iv-implausible': 1, 'iv-not-a-number': 3 });
        const snaps = await readTopic<OptionChainSnapshot>(access, 'options');
        assert.deepEqual(snaps.map((x) => new Date(x.tsEvent).toISOString()), ['2026-08-18T05:13:00.000Z', '2026-08-18T05:15:00.000Z', '2026-08-18T05:16:00.000Z']);
      } finally {
        tmp.cleanup();
      }
    }));

  test('TimeGate: held rows are released in file order once confirmed, rejected when contradicted', () => {
    const gate = new TimeGate<number>({ nowMs: 1e12, futureToleranceMs: 0, maxGapMs: 10 });
    const out: Released<number>[] = [];
    gate.offer('k', 0, 0, out);
    gate.offer('k', 5, 1, out);
    gate.offer('k', 1000, 2, out); // held
    gate.offer('k', 8, 3, out); // back in range: 2 rejected
    for (let i = 0; i < TIME_JUMP_CONFIRM; i++) gate.offer('k', 500 + i, 4 + i, out); // a run: confirmed
    gate.offer('k', 1e12 + 1, 99, out);
    gate.offer('k', 900, 100, out); // held, then end of file
    gate.end(out);
    assert.deepEqual(out.map((r) => [r.item, r.reason]), [
      [0, null], [1, null], [2, 'time-jump'], [3, null],
      ...Array.from({ length: TIME_JUMP_CONFIRM }, (_, i) => [4 + i, null]),
      [99, 'time-in-future'], [100, 'time-jump'],
    ]);
  });
});
