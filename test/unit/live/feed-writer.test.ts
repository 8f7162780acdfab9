import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FeedAppender, levelFeedWithLog, PeekableFeed, type FeedEvent } from '../../../hosts/live/feed-writer.ts';
import { SyntheticMarket, syntheticConfig } from '../../../sources/synthetic/index.ts';
import type { LogRecord } from '../../../storage/log/event-log.ts';
import { MemoryLog } from '../../helpers/memory-log.ts';
import { hostEvents, type HostEvents } from '../../../hosts/host-events.ts';

const json = (_topic: string, value: object): Uint8Array => Buffer.from(JSON.stringify(value));
const decode = (_topic: string, bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString());
const TOPICS = ['trades', 'options'];
const HOUR = 3_600_000;

/** A small seeded market: the same events on every call. */
const config = syntheticConfig({ days: 0.2, seed: 7 });
const market = (): Iterator<FeedEvent> => new SyntheticMarket(config).events();
const all: FeedEvent[] = [...new SyntheticMarket(config).events()];

/** What a topic holds, as (key, JSON value) in partition-then-offset order. */
function held(log: MemoryLog, topic: string): string[] {
  return (log.parts.get(topic) ?? []).flat().map((r: LogRecord) => `${r.key} ${Buffer.from(r.value).toString()}`);
}
/** What a log holding exactly `events` would hold in `topic` (same partitioning, same order per partition). */
async function expectedHeld(events: readonly FeedEvent[], topic: string): Promise<string[]> {
  const log = new MemoryLog();
  const q = events.filter((e) => e.topic === topic);
  if (q.length > 0) await log.append(topic, q.map((e) => ({ key: e.key, timestamp: e.value.tsEvent, value: json(topic, e.value) })));
  return held(log, topic);
}

describe('FeedAppender (the one append loop)', () => {
  test('groups a batch by topic, keeps order within a topic, one append per topic in order of first appearance', async () => {
    const log = new MemoryLog();
    const a = new FeedAppender(log, json);
    const batch = all.slice(0, 500);
    const firstSeen = [...new Set(batch.map((e) => e.topic))];
    assert.equal(firstSeen.length, 2, 'the slice has both topics');
    for (const e of batch) a.add(e);
    assert.equal(a.pending, 500);
    assert.deepEqual(a.pendingByTopic(), new Map(firstSeen.map((t) => [t, batch.filter((e) => e.topic === t).length])));
    assert.equal(await a.flush(), 500);
    assert.equal(a.pending, 0);
    assert.deepEqual(log.appendTopics, firstSeen);
    for (const t of TOPICS) assert.deepEqual(held(log, t), await expectedHeld(batch, t));
    // Record timestamp is the event time.
    for (const r of log.parts.get('trades')!.flat()) assert.equal(r.timestamp, (JSON.parse(Buffer.from(r.value).toString()) as { tsEvent: number }).tsEvent);
    // An empty flush appends nothing.
    assert.equal(await a.flush(), 0);
    assert.equal(log.appendTopics.length, 2);
  });
});

describe('PeekableFeed', () => {
  test('peek does not take; next takes; nextTsInit is Infinity at the end', () => {
    const f = new PeekableFeed(all.slice(0, 3)[Symbol.iterator]());
    assert.equal(f.peek().value, all[0]);
    assert.equal(f.nextTsInit(), all[0]!.value.tsInit);
    assert.equal(f.next().value, all[0]);
    assert.equal(f.next().value, all[1]);
    assert.equal(f.next().value, all[2]);
    assert.equal(f.nextTsInit(), Number.POSITIVE_INFINITY);
    assert.equal(f.next().done, true);
  });
});

describe('levelFeedWithLog', () => {
  const historyEnd = config.start + 2 * HOUR;
  const inHistory = all.filter((e) => e.value.tsInit < historyEnd);

  test('on a new log: appends the history in bounded rounds and leaves the feed at the first later event', async () => {
    const log = new MemoryLog();
    const progress: number[] = [];
    const events = hostEvents();
    events.on('history-progress', (p) => progress.push(p.events));
    const r = await levelFeedWithLog({ log, encode: json, feed: market(), decode, source: 'synthetic', topics: TOPICS, historyEnd, historyBatch: 1000, events });
    assert.equal(r.mode, 'history');
    assert.equal(r.historyEvents, inHistory.length);
    assert.ok(inHistory.length > 1000 && inHistory.length < all.length, 'the history is a proper, multi-round prefix');
    assert.deepEqual(progress, Array.from({ length: Math.floor(inHistory.length / 1000) }, (_, i) => (i + 1) * 1000));
    for (const t of TOPICS) assert.deepEqual(held(log, t), await expectedHeld(inHistory, t));
    assert.deepEqual(r.feed.next().value, all[inHistory.length]);
  });

  test('on a log it wrote: appends nothing and continues right after what the log holds', async () => {
    const log = new MemoryLog();
    await levelFeedWithLog({ log, encode: json, feed: market(), decode, source: 'synthetic', topics: TOPICS, historyEnd });
    const calls = log.appendTopics.length;
    const events = hostEvents();
    const resumes: HostEvents['feed-resume'][0][] = [];
    events.on('feed-resume', (e) => resumes.push(e));
    // A later history end changes nothing on an existing log: the log decides where to resume.
    const r = await levelFeedWithLog({ log, encode: json, feed: market(), decode, source: 'synthetic', topics: TOPICS, historyEnd: historyEnd + HOUR, events });
    assert.equal(r.mode, 'resumed');
    assert.equal(log.appendTopics.length, calls);
    assert.equal(r.repaired.size, 0);
    assert.deepEqual(resumes, [{ source: 'synthetic', by: 'position', repaired: {} }]);
    // The next event is the first the log does not hold (the last history event of either topic + 1).
    assert.deepEqual(r.feed.next().value, all[inHistory.length]);
  });

  test('without a recorded position: repairs a topic a crash left shorter, then continues after the longer one', async () => {
    // The crash: trades of the first 3 hours were appended, options only of the first hour.
    const trades = all.filter((e) => e.topic === 'trades' && e.value.tsInit < config.start + 3 * HOUR);
    const options = all.filter((e) => e.topic === 'options' && e.value.tsInit < config.start + HOUR);
    const log = new MemoryLog();
    const a = new FeedAppender(log, json);
    for (const e of [...trades, ...options]) a.add(e);
    await a.flush();
    const r = await levelFeedWithLog({ log, encode: json, feed: market(), decode, source: 'synthetic', topics: TOPICS, historyEnd });
    // No recorded position (a log from before positions were recorded): resumes by count.
    assert.equal(r.mode, 'counted');
    // The feed stops skipping at the last trade the log holds: every option before it was missing.
    const lastTrade = all.indexOf(trades.at(-1)!);
    const upTo = all.slice(0, lastTrade + 1);
    const missingOptions = upTo.filter((e) => e.topic === 'options').length - options.length;
    assert.ok(missingOptions > 0);
    assert.deepEqual(r.repaired, new Map([['options', missingOptions]]));
    for (const t of TOPICS) assert.deepEqual(held(log, t), await expectedHeld(upTo, t));
    assert.deepEqual(r.feed.next().value, all[lastTrade + 1]);
  });

  test('a crash in the middle of a round, then another writer: the round is completed by content, nothing duplicated', async () => {
    /** A log whose append to topic `fail` fails once (a crash between two appends of a round). */
    class FailingLog extends MemoryLog {
      fail: string | null = null;
      override async append(topic: string, records: Parameters<MemoryLog['append']>[1]): ReturnType<MemoryLog['append']> {
        if (topic === this.fail) {
          this.fail = null;
          throw new Error('crash');
        }
        return super.append(topic, records);
      }
    }
    const log = new FailingLog();
    const first = await levelFeedWithLog({ log, encode: json, feed: market(), decode, source: 'synthetic', topics: TOPICS, historyEnd });
    // One round of the next hour, cut between its two topics' appends.
    const round = all.filter((e) => e.value.tsInit >= historyEnd && e.value.tsInit < historyEnd + HOUR);
    for (let i = 0; i < round.length; i++) first.appender.add(first.feed.next().value as FeedEvent);
    const second = round[0]!.topic === 'trades' ? 'options' : 'trades';
    log.fail = second;
    await assert.rejects(first.appender.flush(), /crash/);
    // Another writer appends to both topics before the restart.
    const foreign = (topic: string): Promise<unknown> => log.append(topic, [{ key: 'BTC', timestamp: 0, value: json(topic, { foreign: true, tsEvent: 0, tsInit: 0 }) }]);
    await foreign('trades');
    await foreign('options');
    const r = await levelFeedWithLog({ log, encode: json, feed: market(), decode, source: 'synthetic', topics: TOPICS, historyEnd });
    assert.equal(r.mode, 'resumed');
    const lost = round.filter((e) => e.topic === second).length;
    assert.ok(lost > 0 && lost < round.length);
    assert.deepEqual(r.repaired, new Map([[second, lost]]));
    const through = inHistory.length + round.length;
    for (const t of TOPICS) assert.deepEqual(held(log, t).filter((x) => !x.includes('"foreign"')), await expectedHeld(all.slice(0, through), t));
    assert.deepEqual(r.feed.next().value, all[through]);
    assert.equal(r.appender.appendedThrough, through);
    // A second restart finds the round complete and appends nothing.
    const again = await levelFeedWithLog({ log, encode: json, feed: market(), decode, source: 'synthetic', topics: TOPICS, historyEnd });
    assert.deepEqual(again.repaired, new Map());
    assert.deepEqual(again.feed.next().value, all[through]);
  });
});
