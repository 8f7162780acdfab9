import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LogFeedStateStore, feedStateUnit } from '../../../hosts/live/feed-state-log.ts';
import { levelFeedWithLog, type FeedEvent, type SavedFeedState } from '../../../hosts/live/feed-writer.ts';
import { toExactJson } from '../../../lib/exact-json.ts';
import { TOPICS } from '../../../schemas/index.ts';
import { SyntheticMarket, syntheticConfig } from '../../../sources/synthetic/index.ts';
import { LogCheckpointStore } from '../../../storage/checkpoints/log-checkpoint-store.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { tempDir } from '../../helpers/cli.ts';
import { recordingLogger } from '../../helpers/log-records.ts';

/**
 * The feed's saved state on the log's compacted `checkpoints` topic (LogFeedStateStore, what
 * `start --broker` uses on Kafka), here through an embedded log's EventLog and Avro serde (the same
 * calls run on a real broker in test/integration/kafka/feed-state.test.ts): a restart restores the
 * market from the newest record and continues exactly as the uninterrupted market; records of
 * graph checkpoints on the same topic are not taken for it; a record that does not fit (other
 * parameters, other generator code, ahead of the log's recorded position, unreadable) is refused
 * and the market regenerated.
 */
const HOUR = 3_600_000;
const config = syntheticConfig({ days: 0.15, seed: 17, lateTradeRate: 0.005 });
const all = [...new SyntheticMarket(config).events()].map((e) => toExactJson(e));
const params = JSON.stringify(config);
const INPUTS = [TOPICS.trades.name, TOPICS.options.name];

describe('LogFeedStateStore: the feed state on the checkpoints topic', () => {
  const tmp = tempDir('tickflow-feed-state-log-');
  let el: EmbeddedLog;
  before(async () => {
    el = await openEmbeddedLog(join(tmp.dir, 'log'));
  });
  after(async () => {
    await el.close();
    tmp.cleanup();
  });
  const encode = (t: string, v: object): Uint8Array => el.serde.encode(t, v);
  const decode = (t: string, b: Uint8Array): unknown => el.serde.decodeAs(t, b);
  const store = (): LogFeedStateStore => new LogFeedStateStore({ log: el.log, encode, decode, source: 'synthetic', now: () => 0 });

  async function level(logDst: ReturnType<typeof recordingLogger>): ReturnType<typeof levelFeedWithLog> {
    const market = new SyntheticMarket(config);
    return levelFeedWithLog({
      log: el.log, encode, decode, feed: market.stream(), source: 'synthetic', feedParams: params, topics: INPUTS, historyEnd: config.start + 1.5 * HOUR,
      historyBatch: 2000, logger: logDst.logger, state: { store: store(), resume: (s) => market.resume(s), every: 3000 },
    });
  }
  const events = (l: ReturnType<typeof recordingLogger>, e: string): number => l.records.filter((r) => r.event === e).length;

  test('nothing before a save; the newest save after, under its own key beside graph checkpoints', async () => {
    assert.equal(await store().load(), null, 'no topic yet');
    const s = store();
    const graph = new LogCheckpointStore({ log: el.log, encode, decode });
    await s.save({ source: 'synthetic', feed: params, at: 5, state: 'a' });
    await graph.save('partition/0', { codeVersion: 'c' }, { inputs: 7, positions: { 'trades/0': 3 }, state: '{"not":"a feed state"}' }, 0);
    await s.save({ source: 'synthetic', feed: params, at: 9, state: 'b' });
    await graph.save('partition/1', { codeVersion: 'c' }, { inputs: 8, positions: { 'trades/1': 3 }, state: 'x' }, 0);
    assert.deepEqual(await s.load(), { source: 'synthetic', feed: params, at: 9, state: 'b' });
    assert.equal(await new LogFeedStateStore({ log: el.log, encode, decode, source: 'other' }).load(), null, 'another source has none');
    // A record of the key whose text is not a saved state (or whose count disagrees) is passed over for an older one.
    const raw = new LogCheckpointStore({ log: el.log, encode, decode });
    await raw.save(feedStateUnit('synthetic'), { feedState: 'synthetic' }, { inputs: 11, positions: {}, state: '{"source":' }, 0);
    await raw.save(feedStateUnit('synthetic'), { feedState: 'synthetic' }, { inputs: 12, positions: {}, state: JSON.stringify({ source: 'synthetic', feed: params, at: 13, state: 'c' }) }, 0);
    assert.deepEqual(await s.load(), { source: 'synthetic', feed: params, at: 9, state: 'b' });
  });

  test('a restart restores the market from the topic and continues exactly as the uninterrupted market', async () => {
    // Fresh feed positions: the test above wrote no inputs or positions, so this is a new log for the feed.
    const l1 = recordingLogger();
    const first = await level(l1);
    assert.equal(first.mode, 'history');
    const savedAtHistory = (await store().load())?.at;
    assert.equal(savedAtHistory, first.feed.taken, 'saved once levelled with the history');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 400; i++) first.appender.add(first.feed.next().value as FeedEvent);
      first.feed.peek();
      await first.appender.flush();
    }
    const l2 = recordingLogger();
    const again = await level(l2);
    assert.equal(again.mode, 'resumed');
    assert.equal(events(l2, 'feed-restore'), 1, JSON.stringify(l2.records));
    assert.equal(l2.records.find((r) => r.event === 'feed-restore')?.at, savedAtHistory);
    assert.equal(again.feed.taken, first.feed.taken);
    for (let i = 0; i < 1500; i++) assert.equal(toExactJson(again.feed.next().value), all[again.feed.taken - 1], `event ${again.feed.taken - 1}`);
  });

  test('a state that does not fit is refused and the market regenerated to the same position', async () => {
    const good = (await store().load()) as SavedFeedState;
    const market = new SyntheticMarket(syntheticConfig({ ...config, seed: 18 }));
    const otherSeedState = (() => {
      const m = market.stream();
      for (let i = 0; i < 10; i++) m.next();
      return toExactJson({ head: null, source: m.snapshot() });
    })();
    const unfit: [string, SavedFeedState][] = [
      ['other parameters', { ...good, feed: JSON.stringify({ ...config, seed: 18 }) }],
      ['ahead of the recorded position', { ...good, at: good.at + 1_000_000 }],
      ['another market state (its generator check refuses it)', { ...good, state: otherSeedState }],
      ['unreadable state', { ...good, state: '{"head":null,"source":"{}"}' }],
    ];
    for (const [what, bad] of unfit) {
      await store().save(bad);
      const l = recordingLogger();
      const r = await level(l);
      assert.equal(events(l, 'feed-restore'), 0, what);
      assert.equal(events(l, 'feed-restore-refused'), 1, what);
      assert.ok(events(l, 'feed-regenerate') === 1, `${what}: regenerated`);
      assert.equal(toExactJson(r.feed.next().value), all[r.feed.taken - 1], what);
    }
  });
});
