import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Bar } from '../../../schemas/index.ts';
import { IngestInputError, ingestFile } from '../../../sources/ingest/index.ts';
import { FIXTURES, readTopic, withLog } from './ingest-helpers.ts';

// Fixture rows 1-2 of binance-header-ms.csv are the first two rows of the real AVAXUSDT file.
describe('candle importers', () => {
  test('binance with header: each bad row counted under its reason, gap counted, bars close-stamped', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'binance-header-ms.csv'), format: 'binance-klines', symbol: 'AVAXUSDT' });
      assert.equal(s.accepted, 3);
      assert.deepEqual(s.reasons, { 'duplicate': 1, 'high-below-low': 1, 'missing-column': 1, 'non-finite': 1, 'non-positive-price': 1, 'unparseable-time': 1 });
      assert.equal(s.rejected, 6);
      assert.equal(s.gaps, 2); // 00:02 and 00:03 are missing between 00:01 and 00:04
      assert.equal(s.gapRuns, 1);
      const bars = await readTopic<Bar>(access, 'candles');
      assert.equal(bars.length, 3);
      const b = bars[0]!;
      assert.equal(b.start, 1782864000000);
      assert.equal(b.end, 1782864060000);
      assert.equal(b.tsEvent, b.end);
      assert.equal(b.tsInit, b.end);
      assert.equal(b.interval, '1m');
      assert.equal(b.trades, 365);
      assert.equal(b.buyVolume, 30518);
      assert.equal(b.vwap, 215829.891 / 33013); // quote_volume / volume from the row
      assert.equal(s.firstTs, 1782864060000);
    }));

  test('binance without header in µs equals the same rows in ms; re-ingest adds nothing', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'binance-noheader-us.csv'), format: 'binance-klines', symbol: 'AVAXUSDT' });
      assert.equal(s.accepted, 2);
      assert.equal(s.firstTs, 1782864060000);
      const again = await ingestFile(access, { file: join(FIXTURES, 'binance-noheader-us.csv'), format: 'binance-klines', symbol: 'AVAXUSDT' });
      assert.equal(again.accepted, 0);
      assert.deepEqual(again.reasons, { duplicate: 2 });
      // The ms file holds the same two first candles: they are duplicates, the later one is new.
      const ms = await ingestFile(access, { file: join(FIXTURES, 'binance-header-ms.csv'), format: 'binance-klines', symbol: 'AVAXUSDT' });
      assert.equal(ms.accepted, 1);
      assert.equal(ms.reasons['duplicate'], 3);
      assert.equal((await readTopic<Bar>(access, 'candles')).length, 3);
    }));

  test('ohlcv-csv naive time: refused without --tz, read in the zone with it (open-stamped)', () =>
    withLog(async (access) => {
      const file = join(FIXTURES, 'ohlcv-naive.csv');
      await assert.rejects(ingestFile(access, { file, format: 'ohlcv-csv', symbol: 'SPY' }), (e: unknown) => e instanceof IngestInputError && /--tz/.test(e.message));
      const s = await ingestFile(access, { file, format: 'ohlcv-csv', symbol: 'SPY', tz: 'America/New_York' });
      assert.equal(s.accepted, 3);
      assert.equal(s.calendar, 'us-equity');
      assert.equal(s.gaps, 1); // 09:32 missing, inside the session
      // 09:30 EDT = 1782912600 s (GNU date); stamped at the close one minute later.
      assert.equal(s.firstTs, 1782912600_000 + 60_000);
      const bars = await readTopic<Bar>(access, 'candles');
      assert.equal(bars[0]!.buyVolume, null);
      assert.equal(bars[0]!.trades, 0);
      assert.equal(bars[0]!.vwap, (101 + 99.5 + 100.5) / 3);
    }));

  test('ohlcv-csv with ISO offsets and epoch seconds, --stamp close', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, { file: join(FIXTURES, 'ohlcv-iso-close.csv'), format: 'ohlcv-csv', stamp: 'close' });
      assert.equal(s.accepted, 3);
      assert.deepEqual(s.symbols, ['XYZ']);
      assert.equal(s.gaps, 0);
      const bars = await readTopic<Bar>(access, 'candles');
      assert.deepEqual(bars.map((b) => b.end), [1782912660000, 1782912720000, 1782912780000]);
      assert.equal(bars[0]!.start, 1782912600000);
      assert.equal(bars[0]!.trades, 12);
    }));
});
