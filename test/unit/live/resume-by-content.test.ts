import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openLog, type LogAccess } from '../../../cli/log-access.ts';
import { levelFeedWithLog, type FeedEvent } from '../../../hosts/live/feed-writer.ts';
import { runLive } from '../../../hosts/live/live-runner.ts';
import { DERIVED_TOPICS, LogSink, RecordedOutputs } from '../../../hosts/log-sink.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import type { Bar, DeadLetter, Trade } from '../../../schemas/index.ts';
import { ingestFile } from '../../../sources/ingest/index.ts';
import { SyntheticMarket, syntheticConfig } from '../../../sources/synthetic/index.ts';
import { tempDir } from '../../helpers/cli.ts';
import { FIXTURES } from '../ingest/ingest-helpers.ts';

/**
 * A restart continues the feed where it stopped, whatever else was appended to its topics in the
 * meantime (docs/reliability.md, "no loss, no duplicates"). Each case: a first run writes 2 hours
 * of history and 1 hour live (as `start --history-days ... --stop-after 1h`), something else
 * appends to the same topics, a second run levels the feed with the log again.
 */
const HOUR = 3_600_000;
// Bad and late trades more often than the default, so the first run leaves dead letters and late events.
const config = syntheticConfig({ days: 0.5, seed: 7, badTradeRate: 0.002, lateTradeRate: 0.002 });
const all: FeedEvent[] = [...new SyntheticMarket(config).events()];
const INPUTS = ['trades', 'options'];

async function level(access: LogAccess): Promise<Awaited<ReturnType<typeof levelFeedWithLog>>> {
  return levelFeedWithLog({ log: access.log, encode: access.encode, decode: access.decode, feed: new SyntheticMarket(config).events(), topics: INPUTS, source: 'synthetic', historyEnd: config.start + 2 * HOUR });
}

/**
 * One run as `start` does it: level the feed with the log, then one market hour live. With
 * `process`, the graph (no model: bars, features, late events, dead letters) runs over the log and
 * its outputs go to the log through a LogSink that skips what the log already holds. Returns the
 * feed events the log holds after the run.
 */
async function runOnce(access: LogAccess, process = false): Promise<number> {
  const lv = await level(access);
  const sink = process ? new LogSink(access.log, { encode: access.encode }, await RecordedOutputs.read(access.log, DERIVED_TOPICS)) : null;
  let wall = 0;
  await runLive({
    log: access.log,
    encode: access.encode,
    decode: access.decode,
    feed: lv.feed,
    appender: lv.appender,
    predictor: null,
    sinks: sink ? [sink] : [],
    afterChunk: async () => sink?.flush(),
    speed: 1000,
    stopAfterMs: HOUR,
    signal: new AbortController().signal,
    process,
    wallNow: () => (wall += 50),
  });
  await sink?.flush();
  return lv.appender.appendedThrough;
}
const firstRun = (access: LogAccess): Promise<number> => runOnce(access);

/** Every input record of the log as its encoded bytes (hex), counted. */
async function logContent(access: LogAccess): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of INPUTS) {
    const parts = await access.log.partitions(t);
    for (let p = 0; p < parts; p++) for await (const b of access.log.read(t, p)) for (const r of b) {
      const k = `${t} ${Buffer.from(r.value).toString('hex')}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
  }
  return out;
}

/** Asserts that the feed's first n events are each in the log exactly once. */
async function assertFeedPrefixOnce(access: LogAccess, n: number): Promise<void> {
  const content = await logContent(access);
  for (let i = 0; i < n; i++) {
    const e = all[i]!;
    const k = `${e.topic} ${Buffer.from(access.encode(e.topic, e.value)).toString('hex')}`;
    assert.equal(content.get(k), 1, `feed event ${i} (${e.topic} ${e.key} tsInit ${e.value.tsInit}) is in the log ${content.get(k) ?? 0} times`);
  }
}

/** Each derived topic's records (encoded bytes, hex) with their counts. */
async function derivedContent(access: LogAccess): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of DERIVED_TOPICS) {
    if (!(await access.log.topics()).includes(t)) continue;
    const parts = await access.log.partitions(t);
    for (let p = 0; p < parts; p++) for await (const b of access.log.read(t, p)) for (const r of b) {
      const k = `${t} ${Buffer.from(r.value).toString('hex')}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
  }
  return out;
}

/** What a replay of the whole log produces, as derivedContent counts it. */
async function replayedContent(access: LogAccess): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  const collect = new LogSink(access.log, { encode: access.encode });
  await replayLog({ log: access.log, decode: access.decode, sinks: [{ onEvent: (e) => collect.onEvent(e) }], predictor: null });
  for (const [topic, records] of collect.take()) for (const r of records) {
    const k = `${topic} ${Buffer.from(r.value).toString('hex')}`;
    expected.set(k, (expected.get(k) ?? 0) + 1);
  }
  return expected;
}

async function withLog(fn: (access: LogAccess, dir: string) => Promise<void>): Promise<void> {
  const tmp = tempDir('tickflow-resume-');
  const dir = join(tmp.dir, 'log');
  const access = await openLog(dir);
  try {
    await fn(access, dir);
  } finally {
    await access.close();
    tmp.cleanup();
  }
}

describe('resume by content', () => {
  test('11 garbage trades appended between two runs: the restart skips no real trade', () =>
    withLog(async (access) => {
      const n = await firstRun(access);
      assert.ok(n > 0 && n < all.length);
      const garbage: Trade[] = Array.from({ length: 11 }, (_, i) => ({ tsEvent: config.start + i, tsInit: config.start + i, symbol: 'BTC', price: -1, size: 0, side: 'BUY', tradeId: 1e9 + i }));
      await access.log.append('trades', garbage.map((g) => ({ key: g.symbol, timestamp: g.tsEvent, value: access.encode('trades', g) })));
      const lv = await level(access);
      assert.equal(lv.mode, 'resumed');
      assert.deepEqual(lv.repaired, new Map());
      assert.deepEqual(lv.feed.next().value, all[n]);
      await assertFeedPrefixOnce(access, n);
    }));

  test('an option chain file dated ahead of the feed, ingested between two runs: refused, and the restart equals a replay', () =>
    withLog(async (access) => {
      // The file's snapshots are dated August 2026, the synthetic market runs in January 2026.
      // Appended, one would sit in an `options` partition ahead of the feed's later records: the
      // replay (each partition in offset order) holds those back to the end of the log, the live
      // host does not, and the two disagree (docs/reliability.md). Ingest refuses such rows.
      const n = await runOnce(access, true);
      const s = await ingestFile(access, { file: join(FIXTURES, 'chain-long.csv'), format: 'option-chain-long', tz: 'Asia/Kolkata', calendar: 'crypto' });
      assert.equal(s.accepted, 0);
      assert.equal(s.reasons['ahead-of-live-feed'], 3);
      assert.equal((s.liveFeed as { source: string }).source, 'synthetic');
      await runOnce(access, true);
      await assertFeedPrefixOnce(access, n);
      assert.deepEqual(await derivedContent(access), await replayedContent(access));
    }));

  test('derived outputs are matched by content: after garbage inputs a restart appends each output of the log once', () =>
    withLog(async (access) => {
      const n = await runOnce(access, true);
      assert.ok(n > 0);
      const before = await derivedContent(access);
      const count = (m: Map<string, number>, topic: string): number => [...m].filter(([k]) => k.startsWith(`${topic} `)).reduce((a, [, c]) => a + c, 0);
      assert.ok(count(before, 'dead-letters') > 0 && count(before, 'late-events') > 0, 'the first run recorded dead letters and late events');
      // Garbage early in the replay order (candles with high below low, stamped at the start, in a
      // topic of their own): their dead letters come before every recorded output of the replay.
      const garbage: Bar[] = Array.from({ length: 11 }, (_, i) => ({ tsEvent: config.start + 60_000 * (i + 1), tsInit: config.start + 60_000 * (i + 1), symbol: 'BTC', interval: '1m', start: config.start + 60_000 * i, end: config.start + 60_000 * (i + 1), open: 1, high: 1, low: 2, close: 1, volume: 1, buyVolume: null, vwap: 1, trades: 1 }));
      const at = await access.log.append('candles', garbage.map((g) => ({ key: g.symbol, timestamp: g.tsEvent, value: access.encode('candles', g) })));
      await runOnce(access, true);
      // The outputs a replay of the final log produces are each in the log exactly once.
      const expected = await replayedContent(access);
      const after = await derivedContent(access);
      assert.deepEqual(after, expected);
      // The first run's outputs are all still there, and each garbage candle left its dead letter.
      for (const [k, c] of before) assert.ok((after.get(k) ?? 0) >= c, `lost ${k.slice(0, 40)}`);
      const rejected = new Set<string>();
      for await (const b of access.log.read('dead-letters', 0)) for (const r of b) {
        const d = access.decode('dead-letters', r.value) as DeadLetter;
        rejected.add(`${d.topic}/${d.partition}/${d.offset}`);
      }
      for (const p of at) assert.ok(rejected.has(`candles/${p.partition}/${p.offset}`), `garbage candle at ${p.partition}/${p.offset} has no dead letter`);
    }));
});
