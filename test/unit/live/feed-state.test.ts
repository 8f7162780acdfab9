import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { levelFeedWithLog, type FeedEvent, type FeedStateStore, type SavedFeedState } from '../../../hosts/live/feed-writer.ts';
import { FileFeedStateStore } from '../../../hosts/live/feed-state-file.ts';
import { toExactJson } from '../../../lib/exact-json.ts';
import { SyntheticMarket, syntheticConfig } from '../../../sources/synthetic/index.ts';
import type { LogRecord } from '../../../storage/log/event-log.ts';
import { tempDir } from '../../helpers/cli.ts';
import { MemoryLog } from '../../helpers/memory-log.ts';

/**
 * A restart restores the synthetic market from its saved state instead of regenerating it: the
 * feed continues with exactly the events an uninterrupted market gives, the log ends up holding
 * the same records as without saved state, and a state that does not fit (other parameters,
 * ahead of the log's recorded position) is ignored in favour of regeneration.
 */
const json = (_topic: string, value: object): Uint8Array => Buffer.from(JSON.stringify(value));
const decode = (_topic: string, bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString());
const TOPICS = ['trades', 'options'];
const HOUR = 3_600_000;
const config = syntheticConfig({ days: 0.2, seed: 11, lateTradeRate: 0.005 });
const all = [...new SyntheticMarket(config).events()].map((e) => toExactJson(e));
const historyEnd = config.start + 2 * HOUR;
const params = JSON.stringify(config);

class MemoryStore implements FeedStateStore {
  saved: SavedFeedState | null = null;
  saves: number[] = [];
  load(): Promise<SavedFeedState | null> {
    return Promise.resolve(this.saved);
  }
  save(s: SavedFeedState): Promise<void> {
    this.saved = s;
    this.saves.push(s.at);
    return Promise.resolve();
  }
}

function level(log: MemoryLog, store: FeedStateStore | null, every = 50_000): ReturnType<typeof levelFeedWithLog> {
  const market = new SyntheticMarket(config);
  return levelFeedWithLog({
    log, encode: json, decode, feed: market.stream(), source: 'synthetic', feedParams: params, topics: TOPICS, historyEnd, historyBatch: 1000,
    ...(store === null ? {} : { state: { store, resume: (s: string) => market.resume(s), every } }),
  });
}

const held = (log: MemoryLog): string[] => TOPICS.flatMap((t) => (log.parts.get(t) ?? []).flat().map((r: LogRecord) => `${t} ${r.key} ${Buffer.from(r.value).toString()}`));

/** Takes `n` events from the feed into the appender and flushes, as the live host does. */
async function live(r: Awaited<ReturnType<typeof levelFeedWithLog>>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) r.appender.add(r.feed.next().value as FeedEvent);
  r.feed.peek(); // the live host looks at the next event's time before it takes it
  await r.appender.flush();
}

describe('levelFeedWithLog with saved feed state', () => {
  test('saves as the history is written; a restart restores it and continues exactly as without it', async () => {
    const store = new MemoryStore();
    const log = new MemoryLog();
    const first = await level(log, store, 5000);
    assert.equal(first.mode, 'history');
    assert.ok(store.saves.length >= 2, `saved during the history and at its end: ${store.saves.join(' ')}`);
    assert.equal(store.saved?.at, first.feed.taken);
    await live(first, 700);
    await live(first, 300);
    const plainLog = new MemoryLog();
    const plain = await level(plainLog, null);
    await live(plain, 700);
    await live(plain, 300);

    const again = await level(log, store);
    const plainAgain = await level(plainLog, null);
    assert.equal(again.mode, 'resumed');
    assert.equal(again.feed.taken, plainAgain.feed.taken);
    for (let i = 0; i < 2000; i++) assert.equal(toExactJson(again.feed.next().value), all[again.feed.taken - 1], `event ${again.feed.taken - 1}`);
    assert.deepEqual(held(log), held(plainLog));
    assert.equal(store.saved?.at, plainAgain.feed.taken, 'the restart saved its levelled state');
  });

  test('a crash between a round and its state: the state before the last round is restored and the round repaired', async () => {
    const store = new MemoryStore();
    const log = new MemoryLog();
    const first = await level(log, store, 1_000_000);
    const at = store.saved!.at;
    await live(first, 500);
    // The round's intent is recorded but its trades never reached the log.
    const trades = log.parts.get('trades')!;
    const cut = trades.map((p) => p.length);
    await live(first, 400);
    const lost = trades.reduce((n, p, i) => n + p.length - cut[i]!, 0);
    trades.forEach((p, i) => p.splice(cut[i]!));
    assert.ok(lost > 0);
    assert.equal(store.saved!.at, at, 'no state saved since the history (every is large)');
    const again = await level(log, store);
    assert.equal(again.repaired.get('trades'), lost);
    assert.equal(toExactJson(again.feed.next().value), all[at + 900]);
    const plainLog = new MemoryLog();
    const plain = await level(plainLog, null);
    await live(plain, 500);
    await live(plain, 400);
    assert.deepEqual(held(log), held(plainLog));
  });

  test('a state of other parameters or ahead of the log is ignored: regenerated instead', async () => {
    const store = new MemoryStore();
    const log = new MemoryLog();
    const first = await level(log, store);
    const good = store.saved!;
    for (const bad of [{ ...good, feed: '{}' }, { ...good, at: good.at + 10 }, { ...good, state: '{"head":null,"source":"{}"}' }]) {
      store.saved = bad;
      const r = await level(log, store);
      assert.equal(r.feed.taken, first.feed.taken);
      assert.equal(toExactJson(r.feed.next().value), all[first.feed.taken]);
    }
  });

  test('FileFeedStateStore: nothing before the first save, the last save after, unreadable is nothing', async () => {
    const { dir, cleanup } = tempDir('feed-state-');
    const store = new FileFeedStateStore(dir, 'synthetic');
    assert.equal(await store.load(), null);
    await store.save({ source: 'synthetic', feed: params, at: 5, state: 'a' });
    await store.save({ source: 'synthetic', feed: params, at: 9, state: 'b' });
    assert.deepEqual(await store.load(), { source: 'synthetic', feed: params, at: 9, state: 'b' });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/feed-state.synthetic.json`, '{"source":');
    assert.equal(await store.load(), null);
    cleanup();
  });
});
