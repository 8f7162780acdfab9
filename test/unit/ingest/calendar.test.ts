import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CALENDARS, isInSession, sessionCloseOn, sessionOpen, zonedToUtc } from '../../../processors/calendar/index.ts';

// Epoch seconds below come from GNU date, e.g. `date -d 'TZ="Asia/Kolkata" 2026-08-18 09:15' +%s`.
const NSE_OPEN_2026_08_18 = 1787024700_000;
const NSE_CLOSE_2026_08_18 = 1787047200_000;
const NY_OPEN_2026_07_01 = 1782912600_000; // EDT (UTC-4)
const NY_OPEN_2026_01_15 = 1768487400_000; // EST (UTC-5)
const NY_OPEN_2026_03_09 = 1773063000_000; // first Monday after the 2026-03-08 DST switch
const MIN = 60_000;

describe('session calendars', () => {
  test('NSE: 09:15-15:30 IST on a Tuesday (2026-08-18), half-open', () => {
    assert.equal(sessionOpen(CALENDARS.nse, NSE_OPEN_2026_08_18 + 3 * 3_600_000), NSE_OPEN_2026_08_18);
    assert.equal(sessionCloseOn(CALENDARS.nse, 2026, 8, 18), NSE_CLOSE_2026_08_18);
    assert.equal(isInSession(CALENDARS.nse, NSE_OPEN_2026_08_18 - MIN), false);
    assert.equal(isInSession(CALENDARS.nse, NSE_OPEN_2026_08_18), true);
    assert.equal(isInSession(CALENDARS.nse, NSE_CLOSE_2026_08_18 - MIN), true);
    assert.equal(isInSession(CALENDARS.nse, NSE_CLOSE_2026_08_18), false);
  });

  test('weekend: Saturday 2026-08-22 has no NSE or US session, crypto trades', () => {
    const satNoonIst = NSE_OPEN_2026_08_18 + 4 * 86_400_000 + 3 * 3_600_000;
    assert.equal(isInSession(CALENDARS.nse, satNoonIst), false);
    assert.equal(sessionOpen(CALENDARS.nse, satNoonIst), null);
    assert.equal(isInSession(CALENDARS['us-equity'], satNoonIst), false);
    assert.equal(isInSession(CALENDARS.crypto, satNoonIst), true);
    assert.equal(sessionOpen(CALENDARS.crypto, satNoonIst), Date.UTC(2026, 7, 22));
  });

  test('US equities: 09:30 New York in summer, winter and right after the DST switch', () => {
    for (const open of [NY_OPEN_2026_07_01, NY_OPEN_2026_01_15, NY_OPEN_2026_03_09]) {
      assert.equal(sessionOpen(CALENDARS['us-equity'], open + 60 * MIN), open);
      assert.equal(isInSession(CALENDARS['us-equity'], open), true);
      assert.equal(isInSession(CALENDARS['us-equity'], open - MIN), false);
      assert.equal(isInSession(CALENDARS['us-equity'], open + 390 * MIN), false);
    }
  });

  test('zonedToUtc matches GNU date for IST and both New York offsets', () => {
    assert.equal(zonedToUtc(2026, 8, 18, 10, 43, 0, 0, 'Asia/Kolkata'), 1787029980_000);
    assert.equal(zonedToUtc(2026, 7, 1, 9, 30, 0, 0, 'America/New_York'), NY_OPEN_2026_07_01);
    assert.equal(zonedToUtc(2026, 1, 15, 9, 30, 0, 0, 'America/New_York'), NY_OPEN_2026_01_15);
  });
});
