import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Bar, OptionChainSnapshot } from '../../../schemas/index.ts';
import { IngestInputError, ingestFile } from '../../../sources/ingest/index.ts';
import { compileDateFormat } from '../../../sources/ingest/date-format.ts';
import { parseFieldMap, MAP_FIELDS } from '../../../sources/ingest/field-map.ts';
import { parseTime } from '../../../sources/ingest/parse-time.ts';
import { FIXTURES, readTopic, withLog } from './ingest-helpers.ts';

describe('--date-format', () => {
  // 2026-08-18 09:15 IST = 1787024700 s (GNU date -d '2026-08-18 09:15 IST' +%s).
  const T = 1787024700_000;
  test('day-first, month-first, month names, with a time, fractions and an offset', () => {
    assert.deepEqual(parseTime('18-08-2026 09:15', 'Asia/Kolkata', compileDateFormat('DD-MM-YYYY')), { ok: true, ts: T });
    assert.deepEqual(parseTime('08/18/2026 09:15:00.5', 'Asia/Kolkata', compileDateFormat('MM/DD/YYYY')), { ok: true, ts: T + 500 });
    assert.deepEqual(parseTime('18.Aug.2026T03:45Z', undefined, compileDateFormat('DD.MMM.YYYY')), { ok: true, ts: T });
    assert.deepEqual(parseTime('18-08-2026 09:15 +05:30', undefined, compileDateFormat('DD-MM-YYYY')), { ok: true, ts: T });
    assert.deepEqual(parseTime('18-08-2026', undefined, compileDateFormat('DD-MM-YYYY')), { ok: false, reason: 'naive-time-without-tz' });
    // Not in the layout: the usual rules still apply (epoch, ISO); an impossible month is no date.
    assert.deepEqual(parseTime('1787024700', undefined, compileDateFormat('DD-MM-YYYY')), { ok: true, ts: T });
    assert.deepEqual(parseTime('08-18-2026', 'UTC', compileDateFormat('DD-MM-YYYY')), { ok: false, reason: 'unparseable-time' });
  });

  test('a bad layout names the flag', () => {
    for (const bad of ['DD-MM-YY', 'DD-DD-YYYY', 'DD-MM/YYYY', 'YYYYMMDD']) {
      assert.throws(() => compileDateFormat(bad), (e: unknown) => e instanceof IngestInputError && e.message.startsWith(`--date-format "${bad}"`));
    }
  });
});

describe('--map', () => {
  test('pairs are field=column, case-insensitive; mistakes name the pair', () => {
    assert.deepEqual([...parseFieldMap('Time=Exec Time, size=QTY', MAP_FIELDS.trades, 'trades')], [['time', 'exec time'], ['size', 'qty']]);
    assert.throws(() => parseFieldMap('price', MAP_FIELDS.trades, 'trades'), (e: unknown) => e instanceof IngestInputError && e.message === '--map "price": expected <field>=<column>');
    assert.throws(() => parseFieldMap('strike=k', MAP_FIELDS.trades, 'trades'), (e: unknown) => e instanceof IngestInputError && /"strike" is not a field of --format trades; fields: time, price, size, side, id, symbol/.test(e.message));
    assert.throws(() => parseFieldMap('time=a,time=b', MAP_FIELDS.candles, 'ohlcv-csv'), /mapped twice/);
  });

  test('ohlcv-csv: German headers mapped, DD.MM.YYYY daily candles', () =>
    withLog(async (access) => {
      const file = join(FIXTURES, 'ohlcv-german.csv');
      await assert.rejects(ingestFile(access, { file, format: 'ohlcv-csv', symbol: 'DAX' }), (e: unknown) => e instanceof IngestInputError && e.message.startsWith(`${file}:1 (ohlcv-csv header): no time column`));
      const map = 'time=datum,open=erster,high=hoch,low=tief,close=schluss,volume=volumen';
      await assert.rejects(ingestFile(access, { file, format: 'ohlcv-csv', symbol: 'DAX', map, dateFormat: 'DD.MM.YYYY' }), (e: unknown) => e instanceof IngestInputError && e.message.startsWith(`${file}:2: time "01.07.2026" has no UTC offset`) && /--tz/.test(e.message));
      const s = await ingestFile(access, { file, format: 'ohlcv-csv', symbol: 'DAX', map, dateFormat: 'DD.MM.YYYY', tz: 'Europe/Berlin' });
      assert.equal(s.accepted, 3);
      const bars = await readTopic<Bar>(access, 'candles');
      assert.equal(bars[0]!.interval, '1d');
      assert.equal(bars[0]!.start, Date.UTC(2026, 5, 30, 22)); // midnight CEST
      assert.deepEqual(bars.map((b) => b.close), [101, 102.5, 103]);
    }));

  test('binance layouts are fixed: --map is refused, naming the alternative', () =>
    withLog(async (access) => {
      await assert.rejects(ingestFile(access, { file: join(FIXTURES, 'binance-header-ms.csv'), format: 'binance-klines', symbol: 'X', map: 'time=open_time' }), /--map: binance-klines has a fixed layout; use --format ohlcv-csv/);
    }));

  test('coin-margined chain: mapped columns, premiums in BTC times spot, the vendor IV kept', () =>
    withLog(async (access) => {
      const file = join(FIXTURES, 'chain-coin-margined.csv');
      const map = 'underlying=underlying_index,last=mark_price,bid=best_bid_price,ask=best_ask_price';
      const s = await ingestFile(access, { file, format: 'option-chain-long', calendar: 'crypto', map, premiumIn: 'underlying' });
      assert.equal(s.accepted, 1);
      assert.equal(s.contracts, 3);
      assert.equal(s.ivUnit, 'percent');
      assert.equal(s.ivComputed, 0);
      const [snap] = await readTopic<OptionChainSnapshot>(access, 'options');
      assert.equal(snap!.underlying, 'BTC');
      assert.equal(snap!.tsEvent, Date.UTC(2026, 6, 1, 8));
      const call = snap!.contracts.find((c) => c.strike === 60000 && c.right === 'C')!;
      assert.equal(call.expiry, Date.UTC(2026, 6, 31, 8)); // epoch ms 1785484800000 (GNU date)
      assert.equal(call.last, 0.0125 * 60000);
      assert.equal(call.bid, 0.012 * 60000);
      assert.equal(call.ask, 0.013 * 60000);
      assert.equal(call.iv, 0.525);
    }));
});
