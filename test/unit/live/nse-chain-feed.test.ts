/**
 * The live NSE option-chain feed (sources/exchange/nse-chain-feed.ts) against a local server that
 * speaks NSE's public option-chain API (test/helpers/fake-nse.ts: cookies from the option-chain
 * page, 403 without them) and replays payloads recorded from the real NIFTY chain in ../shared/data
 * (test/fixtures/nse/make-nse-payloads.ts). The clock and the waits are the test's, so the feed
 * runs "in session" whatever the time of day.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeNse, recordedNifty, restamped } from '../../helpers/fake-nse.ts';
import { MemoryLog } from '../../helpers/memory-log.ts';
import { NseChainFeed, nextOpen, parseNseTime, snapshotFromPayload } from '../../../sources/exchange/nse-chain-feed.ts';
import { parseSource } from '../../../sources/exchange/source-spec.ts';
import { CALENDARS } from '../../../processors/calendar/index.ts';
import type { OptionChainSnapshot } from '../../../schemas/index.ts';

const json = (_topic: string, value: object): Uint8Array => Buffer.from(JSON.stringify(value));
const decode = (_topic: string, bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString());
const PAYLOADS = recordedNifty();
// 18-Aug-2026 10:43:00 India time (UTC+05:30) = 05:13:00 UTC: the first recorded snapshot.
const T0 = Date.UTC(2026, 7, 18, 5, 13, 0);
const MIN = 60_000;

function snapshots(log: MemoryLog): OptionChainSnapshot[] {
  return (log.parts.get('options') ?? []).flat().map((r) => decode('options', r.value) as OptionChainSnapshot).sort((a, b) => a.tsInit - b.tsInit);
}

describe('parseSource nse', () => {
  test('index symbols only', () => {
    assert.deepEqual(parseSource('nse:NIFTY,BANKNIFTY'), { venue: 'nse', symbols: ['NIFTY', 'BANKNIFTY'] });
    assert.throws(() => parseSource('nse:RELIANCE'), /not an index with an NSE option chain/);
    assert.throws(() => parseSource('nse:nifty'), /bad symbol 'nifty'/);
    assert.throws(() => parseSource('nse:NIFTY,NIFTY'), /listed twice/);
  });
});

describe('NSE payload → OptionChainSnapshot', () => {
  test('times in India time, IV from percent, a missing quote (0) is null, CE/PE legs become C/P contracts', () => {
    assert.equal(parseNseTime('18-Aug-2026 10:43:00'), T0);
    // A date-only expiry is the session close, 15:30 India time = 10:00 UTC.
    assert.equal(parseNseTime('25-Aug-2026'), Date.UTC(2026, 7, 25, 10, 0));
    assert.equal(parseNseTime('2026-08-18 10:43'), null);
    const p = PAYLOADS[0]!;
    const s = snapshotFromPayload(p, 'NIFTY');
    assert.equal(s.tsEvent, T0);
    assert.equal(s.spot, p.records.underlyingValue);
    const rows = p.records.data as Array<{ strikePrice: number; expiryDate: string; CE?: { impliedVolatility: number; lastPrice: number; openInterest: number; totalTradedVolume: number } }>;
    const legs = rows.reduce((n, r) => n + ('CE' in r ? 1 : 0) + ('PE' in r ? 1 : 0), 0);
    assert.equal(s.contracts.length, legs);
    const row = rows.find((r) => r.CE !== undefined && r.CE.impliedVolatility > 0)!;
    const c = s.contracts.find((x) => x.right === 'C' && x.strike === row.strikePrice && x.expiry === parseNseTime(row.expiryDate))!;
    assert.equal(c.iv, row.CE!.impliedVolatility / 100);
    assert.equal(c.last, row.CE!.lastPrice);
    assert.equal(c.openInterest, row.CE!.openInterest);
    assert.equal(c.volume, row.CE!.totalTradedVolume);
    assert.equal(c.bid, null, 'NSE sends 0 for no bid');
  });
});

describe('NseChainFeed against a local NSE', () => {
  let fake: FakeNse;
  let log: MemoryLog;
  let clock: number;
  before(async () => {
    fake = new FakeNse();
    await fake.start();
  });
  after(async () => fake.stop());
  beforeEach(() => {
    fake.queue.clear();
    log = new MemoryLog();
    clock = T0 + 30_000;
  });
  const feed = (extra: Partial<ConstructorParameters<typeof NseChainFeed>[0]> = {}): NseChainFeed =>
    new NseChainFeed({ symbols: ['NIFTY'], log, encode: json, decode, baseUrl: fake.baseUrl, now: () => clock, backoff: { initialMs: 1, maxMs: 4, jitter: 0.2 }, random: () => 0.5, staleAfterPolls: 3, ...extra });

  test('the API refuses a client without the cookies; the feed does the handshake first and again when they expire', async () => {
    const direct = await fetch(`${fake.baseUrl}/api/option-chain-indices?symbol=NIFTY`);
    assert.equal(direct.status, 403);
    await direct.body?.cancel();
    const f = feed();
    const ac = new AbortController();
    fake.push('NIFTY', { json: PAYLOADS[0]! });
    await f.pollOnce('NIFTY', ac.signal);
    fake.push('NIFTY', { expire: true }, { json: PAYLOADS[1]! });
    clock += MIN;
    await f.pollOnce('NIFTY', ac.signal);
    assert.equal(f.stats.handshakes, 2);
    assert.equal(f.stats.appended, 2);
    assert.deepEqual(snapshots(log).map((s) => s.tsEvent), [T0, T0 + MIN]);
  });

  test('a 5xx burst and a dropped connection are retried with backoff, counted, and the poll then succeeds', async () => {
    const f = feed();
    fake.push('NIFTY', { status: 503 }, { status: 502 }, { drop: true }, { status: 500 }, { json: PAYLOADS[0]! });
    await f.pollOnce('NIFTY', new AbortController().signal);
    assert.equal(f.stats.errors, 4);
    assert.equal(f.stats.appended, 1);
  });

  test('a venue that stops answering mid-body is given up on after the call deadline and retried', async () => {
    const f = feed({ requestTimeoutMs: 200 });
    fake.push('NIFTY', { hang: true }, { json: PAYLOADS[0]! });
    await f.pollOnce('NIFTY', new AbortController().signal);
    assert.equal(f.stats.errors, 1);
    assert.equal(f.stats.appended, 1);
  });

  test('malformed bodies, an out-of-order timestamp, a duplicate and a too-old snapshot are dead-lettered with a reason; nothing crashes', async () => {
    const f = feed();
    const s = new AbortController().signal;
    const bad = structuredClone(PAYLOADS[1]!) as unknown as { records: { underlyingValue: unknown } };
    bad.records.underlyingValue = 'n/a';
    fake.push('NIFTY', { raw: '{"records":{"timestamp"' }, { json: {} }, { json: bad }, { json: PAYLOADS[1]! }, { json: PAYLOADS[0]! }, { json: restamped(PAYLOADS[1]!, T0 + MIN + 30_000) }, { json: PAYLOADS[2]! });
    for (let i = 0; i < 7; i++) await f.pollOnce('NIFTY', s);
    assert.deepEqual(f.stats.deadLetters, { malformed: 3, 'out-of-order': 1, stale: 0, duplicate: 1 });
    assert.equal(f.stats.appended, 2);
    clock = T0 + 40 * MIN;
    fake.push('NIFTY', { json: restamped(PAYLOADS[3]!, T0 + 10 * MIN) });
    await f.pollOnce('NIFTY', s);
    assert.equal(f.stats.deadLetters.stale, 1, 'a snapshot 30 minutes old at receipt');
    assert.deepEqual(snapshots(log).map((x) => x.tsEvent), [T0 + MIN, T0 + 2 * MIN]);
  });

  test('an unchanged records.timestamp is not appended; K polls in a row are reported stale once', async () => {
    const f = feed();
    const s = new AbortController().signal;
    fake.push('NIFTY', { json: PAYLOADS[0]! });
    for (let i = 0; i < 5; i++) await f.pollOnce('NIFTY', s); // the server repeats the last payload
    assert.equal(f.stats.appended, 1);
    assert.equal(f.stats.unchanged, 4);
    assert.equal(f.stats.staleEvents, 1);
  });

  test('run polls in session, appends each new snapshot before telling the host, and a restart resumes by content', async () => {
    for (const p of PAYLOADS.slice(0, 4)) fake.push('NIFTY', { json: p });
    const ac = new AbortController();
    const seen: number[] = [];
    const f = feed({
      pollMs: MIN,
      sleep: async (ms) => {
        clock += ms;
      },
      onAppended: (snap) => {
        // Already in the log when the host hears of it.
        assert.ok(snapshots(log).some((x) => x.tsEvent === snap.tsEvent));
        seen.push(snap.tsEvent);
        if (seen.length === 4) ac.abort();
      },
    });
    await f.run(ac.signal);
    assert.deepEqual(seen, [0, 1, 2, 3].map((i) => T0 + i * MIN));
    const logged = snapshots(log);
    for (let i = 1; i < logged.length; i++) assert.ok(logged[i]!.tsInit > logged[i - 1]!.tsInit && logged[i]!.tsInit >= logged[i]!.tsEvent);
    const again = feed();
    assert.deepEqual(await again.resume(), { NIFTY: T0 + 3 * MIN });
    await again.pollOnce('NIFTY', new AbortController().signal); // the server repeats the last one
    assert.equal(again.stats.appended, 0);
    assert.equal(again.stats.unchanged, 1);
  });

  test('two underlyings: each has its own last time, content and stale run; a fault in one leaves the other alone', async () => {
    // BANKNIFTY is served the recorded NIFTY payloads (only NIFTY was recorded); what is tested is the per-underlying state.
    const f = feed({ symbols: ['NIFTY', 'BANKNIFTY'] });
    const s = new AbortController().signal;
    fake.push('NIFTY', { json: PAYLOADS[0]! }, { json: PAYLOADS[1]! });
    fake.push('BANKNIFTY', { json: PAYLOADS[0]! }, { raw: 'not json' }, { json: PAYLOADS[0]! });
    for (let i = 0; i < 3; i++) {
      await f.pollOnce('NIFTY', s);
      await f.pollOnce('BANKNIFTY', s);
    }
    assert.deepEqual(f.stats.deadLetters, { malformed: 1, 'out-of-order': 0, stale: 0, duplicate: 0 });
    assert.equal(f.stats.unchanged, 2, 'NIFTY repeats 10:44 once, BANKNIFTY repeats 10:43 once');
    const got = snapshots(log).map((x) => [x.underlying, x.tsEvent]);
    assert.deepEqual(got, [['NIFTY', T0], ['BANKNIFTY', T0], ['NIFTY', T0 + MIN]]);
    assert.ok(fake.calls.some((c) => c.endsWith('symbol=BANKNIFTY')));
  });

  test('outside the session it sleeps until the next open and says so', async () => {
    // Saturday 22-Aug-2026 12:00 India time; the next open is Monday 24-Aug 09:15 India time.
    clock = Date.UTC(2026, 7, 22, 6, 30);
    const monday = Date.UTC(2026, 7, 24, 3, 45);
    assert.equal(nextOpen(CALENDARS.nse, clock), monday);
    const ac = new AbortController();
    const waits: number[] = [];
    const f = feed({
      sleep: async (ms) => {
        waits.push(ms);
        ac.abort();
      },
    });
    await f.run(ac.signal);
    assert.deepEqual(waits, [monday - clock]);
    assert.equal(f.stats.closedWaits, 1);
    assert.equal(f.stats.polls, 0);
  });
});
