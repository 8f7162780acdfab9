import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openLog, type LogAccess } from '../../../cli/log-access.ts';
import { levelFeedWithLog, type FeedEvent } from '../../../hosts/live/feed-writer.ts';
import { verifyInputs } from '../../../research/verify-inputs.ts';
import type { Trade } from '../../../schemas/index.ts';
import { SyntheticMarket, syntheticConfig } from '../../../sources/synthetic/index.ts';
import type { AppendRecord, EventLog, LogRecord, ReadOptions, RecordPosition } from '../../../storage/log/event-log.ts';
import { tempDir } from '../../helpers/cli.ts';

/** verify's input check: each source's recorded sequence is in the log exactly once, and where not. */
const HOUR = 3_600_000;
const config = syntheticConfig({ days: 0.3, seed: 3 });
const all: FeedEvent[] = [...new SyntheticMarket(config).events()];

/** An EventLog that fails its next append to `failTopic` once (a crash between two appends). */
class FailingOnce implements EventLog {
  failTopic: string | null = null;
  constructor(private readonly inner: EventLog) {}
  partitions(topic: string): Promise<number> { return this.inner.partitions(topic); }
  async append(topic: string, records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    if (topic === this.failTopic) {
      this.failTopic = null;
      throw new Error('crash');
    }
    return this.inner.append(topic, records);
  }
  endOffset(topic: string, partition: number): Promise<number> { return this.inner.endOffset(topic, partition); }
  offsetForTime(topic: string, partition: number, ts: number): Promise<number> { return this.inner.offsetForTime(topic, partition, ts); }
  read(topic: string, partition: number, options?: ReadOptions): AsyncIterable<LogRecord[]> { return this.inner.read(topic, partition, options); }
  follow(topic: string, partition: number, fromOffset: number, signal: AbortSignal): AsyncIterable<LogRecord[]> { return this.inner.follow(topic, partition, fromOffset, signal); }
  topics(): Promise<string[]> { return this.inner.topics(); }
  close(): Promise<void> { return this.inner.close(); }
}

async function withLog(fn: (access: LogAccess, log: FailingOnce) => Promise<void>): Promise<void> {
  const tmp = tempDir('tickflow-verify-inputs-');
  const access = await openLog(join(tmp.dir, 'log'));
  try {
    await fn(access, new FailingOnce(access.log));
  } finally {
    await access.close();
    tmp.cleanup();
  }
}

const level = (access: LogAccess, log: EventLog): ReturnType<typeof levelFeedWithLog> =>
  levelFeedWithLog({ log, encode: access.encode, decode: access.decode, feed: new SyntheticMarket(config).events(), source: 'synthetic', feedParams: JSON.stringify(config), topics: ['trades', 'options'], historyEnd: config.start + 2 * HOUR });

describe('verifyInputs', () => {
  test('a complete sequence among other writers\' records is complete; a record appended twice is a duplicate, named by its number', () =>
    withLog(async (access, log) => {
      const lv = await level(access, log);
      const garbage: Trade = { tsEvent: config.start, tsInit: config.start, symbol: 'BTC', price: -1, size: 0, side: 'BUY', tradeId: 1e9 };
      await access.log.append('trades', [{ key: 'BTC', timestamp: 0, value: access.encode('trades', garbage) }]);
      const ok = await verifyInputs(access);
      assert.deepEqual(ok, [{ source: 'synthetic', events: lv.historyEvents, checked: true, complete: true, holes: 0, duplicates: 0 }]);
      const e = all[100]!;
      await access.log.append(e.topic, [{ key: e.key, timestamp: e.value.tsEvent, value: access.encode(e.topic, e.value) }]);
      const [dup] = await verifyInputs(access);
      assert.equal(dup!.complete, false);
      assert.equal(dup!.duplicates, 1);
      assert.deepEqual(dup!.firstDuplicate, { seq: 100, topic: e.topic, key: e.key, tsInit: e.value.tsInit, times: 2 });
    }));

  test('a round cut by a crash leaves holes, named from the first; a restart repairs them', () =>
    withLog(async (access, log) => {
      const lv = await level(access, log);
      const round = all.filter((e) => e.value.tsInit >= config.start + 2 * HOUR && e.value.tsInit < config.start + 3 * HOUR);
      for (let i = 0; i < round.length; i++) lv.appender.add(lv.feed.next().value as FeedEvent);
      const second = round[0]!.topic === 'trades' ? 'options' : 'trades';
      log.failTopic = second;
      await assert.rejects(lv.appender.flush(), /crash/);
      const [cut] = await verifyInputs(access);
      const lost = round.filter((e) => e.topic === second);
      assert.equal(cut!.events, lv.historyEvents + round.length);
      assert.equal(cut!.complete, false);
      assert.equal(cut!.holes, lost.length);
      assert.equal(cut!.firstHole!.seq, all.indexOf(lost[0]!));
      await level(access, log);
      const [fixed] = await verifyInputs(access);
      assert.equal(fixed!.complete, true);
    }));
});
