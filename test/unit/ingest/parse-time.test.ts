import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseKline, binanceFileInfo } from '../../../sources/ingest/binance-klines.ts';
import { epochToMs, parseTime } from '../../../sources/ingest/parse-time.ts';
import { parseExpiry, parseRight } from '../../../sources/ingest/option-row.ts';
import { CALENDARS } from '../../../processors/calendar/index.ts';

// 2026-07-01T13:30:00Z = 1782912600 s (GNU date -d '2026-07-01T13:30:00Z' +%s).
const T = 1782912600_000;

describe('time cells', () => {
  test('epoch seconds, ms, µs and ns are told apart by magnitude', () => {
    assert.equal(epochToMs(1782912600), T);
    assert.equal(epochToMs(1782912600000), T);
    assert.equal(epochToMs(1782912600000000), T);
    assert.equal(epochToMs(1782912600000000000), T);
    assert.deepEqual(parseTime('1782912600', undefined), { ok: true, ts: T });
  });

  test('ISO with Z or an offset is absolute; naive needs a zone', () => {
    assert.deepEqual(parseTime('2026-07-01T13:30:00Z', undefined), { ok: true, ts: T });
    assert.deepEqual(parseTime('2026-07-01T09:30:00-04:00', undefined), { ok: true, ts: T });
    assert.deepEqual(parseTime('2026-07-01 09:30:00', undefined), { ok: false, reason: 'naive-time-without-tz' });
    assert.deepEqual(parseTime('2026-07-01 09:30:00', 'America/New_York'), { ok: true, ts: T });
    assert.deepEqual(parseTime('garbage', 'UTC'), { ok: false, reason: 'unparseable-time' });
  });

  test('compact YYYYMMDDHHMM is a naive date, not epoch ms', () => {
    // 202608181043 read as epoch ms would be 1976; it is 2026-08-18 10:43 IST = 1787029980 s (GNU date).
    assert.deepEqual(parseTime('202608181043', 'Asia/Kolkata'), { ok: true, ts: 1787029980_000 });
  });

  test('expiry dates mean the market close in its zone; rights in all spellings', () => {
    const close = 1787047200_000; // 2026-08-18 15:30 IST (GNU date)
    assert.equal(parseExpiry('18-Aug-2026', CALENDARS.nse), close);
    assert.equal(parseExpiry('2026-08-18', CALENDARS.nse), close);
    assert.equal(parseExpiry('20260818', CALENDARS.nse), close);
    assert.equal(parseExpiry('31-Foo-2026', CALENDARS.nse), null);
    assert.deepEqual(['CE', 'pe', 'C', 'p', 'Call', 'PUT', 'X'].map(parseRight), ['C', 'P', 'C', 'P', 'C', 'P', null]);
  });

  test('binance rows: µs close_time gives the same window as ms; file name gives the symbol', () => {
    const ms = parseKline(['1782864000000', '1', '2', '0.5', '1.5', '10', '1782864059999', '15', '3', '4', '6', '0'], 'X');
    const us = parseKline(['1782864000000000', '1', '2', '0.5', '1.5', '10', '1782864059999999', '15', '3', '4', '6', '0'], 'X');
    assert.ok(ms.ok && us.ok);
    assert.deepEqual(us.value, ms.value);
    assert.equal(ms.value.end - ms.value.start, 60_000);
    assert.deepEqual(binanceFileInfo('binance_um_AVAXUSDT-1m-2026-07.csv'), { symbol: 'AVAXUSDT', interval: '1m' });
  });
});
