/**
 * The bundled zone rules (processors/calendar/zone-rules.ts) against an independent reference: the
 * IANA time-zone data in this Node build's ICU, read through Intl.DateTimeFormat. Every transition
 * from 1976 to 2040 is checked a millisecond either side, and a staggered sweep covers the rest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localParts, zoneOffset } from '../../../processors/calendar/index.ts';
import { bundledOffset, civilFromDays, daysFromCivil } from '../../../processors/calendar/zone-rules.ts';

const HOUR = 3_600_000;

const formats = new Map<string, Intl.DateTimeFormat>();

function intlParts(ts: number, zone: string): number[] {
  let f = formats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' });
    formats.set(zone, f);
  }
  const m = Object.fromEntries(f.formatToParts(ts).map((p) => [p.type, p.value]));
  const wd = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(m['weekday'] ?? '');
  return [Number(m['year']), Number(m['month']), Number(m['day']), Number(m['hour']), Number(m['minute']), Number(m['second']), wd];
}

function ours(ts: number, zone: string): number[] {
  const p = localParts(ts, zone);
  return [p.year, p.month, p.day, p.hour, p.minute, p.second, p.weekday];
}

/** Instants where the platform's offset changes in [from, to), found by hourly steps and bisection. */
function transitions(zone: string, from: number, to: number): number[] {
  const off = (t: number): number => {
    const p = intlParts(t, zone);
    return Date.UTC(p[0]!, p[1]! - 1, p[2], p[3], p[4], p[5]) - Math.floor(t / 1000) * 1000;
  };
  const out: number[] = [];
  let prev = off(from);
  for (let t = from + 24 * HOUR; t < to; t += 24 * HOUR) {
    const o = off(t);
    if (o !== prev) {
      let lo = t - 24 * HOUR;
      let hi = t;
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2000) * 1000;
        if (off(mid) === prev) lo = mid;
        else hi = mid;
      }
      out.push(hi);
      prev = o;
    }
  }
  return out;
}

test('civil date arithmetic agrees with Date.UTC over 1900-2100', () => {
  for (let d = daysFromCivil(1900, 1, 1); d < daysFromCivil(2100, 12, 31); d += 13) {
    const { year, month, day } = civilFromDays(d);
    assert.equal(Date.UTC(year, month - 1, day), d * 86_400_000);
  }
});

for (const zone of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
  test(`${zone}: bundled rules equal the IANA data at every transition 1976-2040 and in a sweep`, () => {
    const from = Date.UTC(1976, 0, 1, 12);
    const to = Date.UTC(2040, 11, 31);
    const cuts = transitions(zone, from, to);
    if (zone === 'America/New_York') assert.equal(cuts.length, 2 * 65, 'two transitions a year');
    else assert.equal(cuts.length, 0);
    for (const t of cuts) {
      for (const ts of [t - 1, t, t + 1, t - HOUR, t + HOUR]) {
        assert.deepEqual(ours(ts, zone), intlParts(ts, zone), `${zone} at ${new Date(ts).toISOString()}`);
      }
    }
    for (let ts = from; ts < to; ts += 97 * HOUR + 7 * 60_000 + 13_000) {
      assert.deepEqual(ours(ts, zone), intlParts(ts, zone), `${zone} at ${new Date(ts).toISOString()}`);
      assert.equal(bundledOffset(ts, zone), zoneOffset(ts, zone));
    }
  });
}

test('zones and years the rules do not cover fall back to the platform data', () => {
  assert.equal(bundledOffset(Date.UTC(2024, 0, 1), 'Europe/London'), null);
  assert.equal(bundledOffset(Date.UTC(1970, 6, 1), 'America/New_York'), null);
  const ts = Date.UTC(2024, 6, 1, 12);
  assert.deepEqual(ours(ts, 'Europe/London'), intlParts(ts, 'Europe/London'));
});
