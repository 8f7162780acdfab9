import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Trade } from '../../../schemas/index.ts';
import { IngestInputError, ingestFile } from '../../../sources/ingest/index.ts';
import { csvLineBatches, csvLines } from '../../../sources/ingest/csv-lines.ts';
import { IdRuns } from '../../../sources/ingest/id-runs.ts';
import { TickRule } from '../../../sources/ingest/tick-rule.ts';
import { FIXTURES, readTopic, withLog } from './ingest-helpers.ts';
import { tempDir } from '../../helpers/cli.ts';

const T0 = Date.UTC(2026, 6, 1); // 1782864000000 (GNU date -d 2026-07-01T00:00:00Z +%s)

describe('trade importers', () => {
  test('binance-trades: every bad line counted under its reason with its first line, nothing crashes', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'BTCUSDT-trades-2026-07-01.csv'), format: 'binance-trades' });
      assert.equal(s.unit, 'trade');
      assert.deepEqual(s.symbols, ['BTCUSDT']); // from the official file name
      assert.equal(s.accepted, 6);
      assert.deepEqual(s.reasons, {
        'bad-side': 1, 'duplicate': 1, 'non-finite': 3, 'non-positive-price': 1, 'non-positive-size': 1,
        'out-of-order': 1, 'unparseable-time': 1, 'wrong-column-count': 2,
      });
      assert.equal(s.rejected, 11);
      assert.deepEqual(s.firstRejectedLine, {
        'bad-side': 11, 'duplicate': 4, 'non-finite': 5, 'non-positive-price': 6, 'non-positive-size': 12,
        'out-of-order': 8, 'unparseable-time': 14, 'wrong-column-count': 9,
      });
      assert.equal(s.sideFrom, 'file');
      const trades = await readTopic<Trade>(access, 'trades');
      assert.deepEqual(trades.map((t) => [t.tradeId, t.tsEvent - T0, t.side]), [
        [1000, 100, 'BUY'], [1001, 200, 'SELL'], [1002, 200, 'BUY'], [1011, 500, 'BUY'],
        [1013, 600, 'SELL'], // time in µs, told apart by magnitude
        [1014, 700, 'SELL'],
      ]);
      assert.equal(trades[0]!.price, 60000);
      assert.equal(trades[0]!.size, 0.01);
      assert.equal(trades[0]!.tsInit, trades[0]!.tsEvent);
    }));

  test('re-import adds nothing; an overlapping file adds only its new trades', () =>
    withLog(async (access) => {
      const file = join(FIXTURES, 'BTCUSDT-trades-2026-07-01.csv');
      await ingestFile(access, { file, format: 'binance-trades' });
      const again = await ingestFile(access, { file, format: 'binance-trades' });
      assert.equal(again.accepted, 0);
      assert.equal(again.reasons['duplicate'], 7); // the 6 stored trades and the repeated line
      assert.equal((await readTopic<Trade>(access, 'trades')).length, 6);
    }));

  test('an id above the largest Avro long avsc writes (2^53 - 2) is rejected bad-id, not an encoding error that stops the import', () =>
    withLog(async (access) => {
      const tmp = tempDir('tickflow-bad-id-');
      try {
        const file = join(tmp.dir, 'IDSUSDT-trades-2026-07-01.csv');
        // 9007199254740990 is avsc's isSafeLong bound (avsc/lib/types.js); ...991 is Number.MAX_SAFE_INTEGER.
        writeFileSync(file, ['9007199254740989,1.5,1,1.5,1782864000100,true,true', '9007199254740990,1.5,1,1.5,1782864000200,true,true',
          '9007199254740991,1.5,1,1.5,1782864000300,true,true', ' 9007199254740991,1.5,1,1.5,1782864000400,true,true', '1,1.5,1,1.5,1782864000500,true,true'].join('\n'));
        const s = await ingestFile(access, { file, format: 'binance-trades' });
        assert.equal(s.accepted, 3);
        assert.deepEqual(s.reasons, { 'bad-id': 2 });
        assert.deepEqual(s.firstRejectedLine, { 'bad-id': 3 });
        assert.deepEqual((await readTopic<Trade>(access, 'trades')).map((t) => t.tradeId), [9_007_199_254_740_989, 9_007_199_254_740_990, 1]);
      } finally {
        tmp.cleanup();
      }
    }));

  test('BOM, CRLF, header and a blank line', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'binance-trades-header-crlf.csv'), format: 'binance-trades', symbol: 'XYZUSDT' });
      assert.equal(s.accepted, 3);
      assert.equal(s.rejected, 0);
      const trades = await readTopic<Trade>(access, 'trades');
      assert.deepEqual(trades.map((t) => [t.price, t.size, t.side]), [[100.5, 2, 'SELL'], [100.6, 1, 'BUY'], [100.4, 3, 'SELL']]);
    }));

  test('a file in the other layout is refused as a whole, naming the file and the line', () =>
    withLog(async (access) => {
      const agg = join(FIXTURES, 'BTCUSDT-aggTrades-2026-07-01.csv');
      await assert.rejects(ingestFile(access, { file: agg, format: 'binance-trades' }), (e: unknown) => e instanceof IngestInputError && e.message.startsWith(`${agg}:1: binance-trades expects the header`));
      const klines = join(FIXTURES, 'binance-noheader-us.csv');
      await assert.rejects(ingestFile(access, { file: klines, format: 'binance-aggtrades', symbol: 'X' }), (e: unknown) => e instanceof IngestInputError && e.message.startsWith(`${klines}:1: binance-aggtrades rows have 7 or 8 columns`));
      await assert.rejects(ingestFile(access, { file: klines, format: 'binance-trades' }), (e: unknown) => e instanceof IngestInputError && /--symbol/.test(e.message));
    }));

  test('binance-aggtrades: side from is_buyer_maker, ids from agg_trade_id', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'BTCUSDT-aggTrades-2026-07-01.csv'), format: 'binance-aggtrades' });
      assert.equal(s.accepted, 720);
      assert.equal(s.rejected, 0);
      const trades = await readTopic<Trade>(access, 'trades');
      // First data line: 5000000,60008.51,0.01244,...,1782864000750,false,true
      assert.deepEqual({ ...trades[0] }, { tsEvent: T0 + 750, tsInit: T0 + 750, symbol: 'BTCUSDT', price: 60008.51, size: 0.01244, side: 'BUY', tradeId: 5000000 });
      const buys = trades.filter((t) => t.side === 'BUY').length;
      assert.ok(buys > 300 && buys < 420, `buys ${buys}`); // 70 % then 30 % by construction
    }));

  test('trades: Parquet with --map, no side (tick rule) and no id (synthetic, stable on re-import)', () =>
    withLog(async (access) => {
      const file = join(FIXTURES, 'trades-generic.parquet');
      await assert.rejects(ingestFile(access, { file, format: 'trades' }), (e: unknown) => e instanceof IngestInputError && /no time column.*--map time=<column>/.test(e.message));
      const options = { file, format: 'trades' as const, map: 'time=exec_time,price=last_px' };
      const s = await ingestFile(access, options);
      assert.equal(s.accepted, 720);
      assert.deepEqual(s.symbols, ['BTC-PERP']);
      assert.equal(s.sideFrom, 'tick-rule');
      assert.equal(s.tickRuleUnclassified, 1);
      assert.equal(s.idsSynthesized, 720);
      const trades = await readTopic<Trade>(access, 'trades');
      assert.equal(trades[0]!.tsEvent, T0 + 750); // epoch ns by magnitude
      assert.equal(trades[0]!.tradeId, (T0 + 750) * 1000);
      // The tick rule against the sides the venue reported for the same trades (the aggTrades
      // fixture; its generator moves the price with the aggressor, as books do on average).
      await ingestFile(access, { file: join(FIXTURES, 'BTCUSDT-aggTrades-2026-07-01.csv'), format: 'binance-aggtrades' });
      const all = await readTopic<Trade>(access, 'trades');
      const venue = all.filter((t) => t.symbol === 'BTCUSDT');
      const ruled = all.filter((t) => t.symbol === 'BTC-PERP');
      const agree = ruled.filter((t, i) => t.side === venue[i]!.side).length;
      assert.ok(agree >= 0.95 * 720, `tick rule agrees on ${agree} of 720`);
      const again = await ingestFile(access, options);
      assert.equal(again.accepted, 0);
      assert.deepEqual(again.reasons, { duplicate: 720 });
    }));

  test('trades: day-first dates in a zone, side words, ids from a mapped column, one line per flag mistake', () =>
    withLog(async (access) => {
      const file = join(FIXTURES, 'trades-dayfirst.csv');
      const base = { file, format: 'trades' as const, symbol: 'SPY', map: 'time=exec time,id=trade ref' };
      // Without --date-format, 01-07-2026 is not guessed: every row is unparseable.
      const loose = await ingestFile(access, { ...base, tz: 'America/New_York' });
      assert.deepEqual(loose.reasons, { 'unparseable-time': 4 });
      await assert.rejects(ingestFile(access, { ...base, dateFormat: 'DD-MM-YYYY' }), (e: unknown) => e instanceof IngestInputError && e.message.startsWith(`${file}:2: time`) && /--tz/.test(e.message));
      await assert.rejects(ingestFile(access, { ...base, map: 'when=exec time' }), (e: unknown) => e instanceof IngestInputError && e.message.startsWith('--map "when=exec time": "when" is not a field of --format trades'));
      await assert.rejects(ingestFile(access, { ...base, map: 'time=stamp' }), (e: unknown) => e instanceof IngestInputError && /--map time=stamp: no column "stamp"/.test(e.message));
      const s = await ingestFile(access, { ...base, tz: 'America/New_York', dateFormat: 'DD-MM-YYYY' });
      assert.equal(s.accepted, 4);
      const trades = await readTopic<Trade>(access, 'trades');
      // 2026-07-01 09:30 EDT = 1782912600 s (GNU date -d '2026-07-01 09:30 EDT' +%s)
      assert.deepEqual(trades.map((t) => [t.tsEvent, t.side, t.tradeId]), [
        [1782912600_250, 'BUY', 77], [1782912601_000, 'SELL', 78],
        [1782912602_500, 'SELL', 79], // empty side: tick rule, 100.05 < 100.10
        [1782912600_000 + 86_400_000, 'SELL', 80],
      ]);
    }));
});

describe('trade helpers', () => {
  test('tick rule: up-tick BUY, down-tick SELL, zero tick keeps the last change, first unknown', () => {
    const r = new TickRule();
    assert.deepEqual([10, 10, 11, 11, 10.5, 10.5, 12].map((p) => r.next(p)), [null, null, 'BUY', 'BUY', 'SELL', 'SELL', 'BUY']);
  });

  test('csvLineBatches reads the same lines as csvLines, whatever the chunk size (BOM, CRLF, garbage, UTF-8 split across chunks)', async () => {
    for (const name of ['BTCUSDT-trades-2026-07-01.csv', 'binance-trades-header-crlf.csv', 'trades-dayfirst.csv', 'ohlcv-german.csv']) {
      const file = join(FIXTURES, name);
      const want: { lineNo: number; cells: string[] }[] = [];
      for await (const l of csvLines(file)) want.push({ lineNo: l.lineNo, cells: l.cells });
      for (const chunk of [5, 64, 1 << 18]) {
        const got: { lineNo: number; cells: string[] }[] = [];
        for await (const b of csvLineBatches(file, chunk)) for (const l of b) got.push({ lineNo: l.lineNo, cells: l.cells });
        assert.deepEqual(got, want, `${name} in chunks of ${chunk}`);
      }
    }
  });

  test('IdRuns: consecutive ids collapse to runs; out-of-order adds merge on seal', () => {
    const s = new IdRuns();
    for (let i = 100; i < 10_100; i++) s.add(i);
    for (const i of [5, 7, 6, 10_100, 50]) s.add(i);
    s.seal();
    assert.equal(s.runs, 3); // [5,7], [50], [100,10100]
    for (const i of [5, 6, 7, 50, 100, 5000, 10_100]) assert.ok(s.has(i), String(i));
    for (const i of [4, 8, 49, 51, 99, 10_101]) assert.ok(!s.has(i), String(i));
  });
});
