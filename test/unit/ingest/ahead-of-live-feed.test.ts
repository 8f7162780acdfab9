import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FeedAppender } from '../../../hosts/live/feed-writer.ts';
import type { OptionChainSnapshot, Trade } from '../../../schemas/index.ts';
import { ingestFile } from '../../../sources/ingest/index.ts';
import { liveFeedPosition } from '../../../sources/ingest/live-feed-bound.ts';
import type { LogAccess } from '../../../cli/log-access.ts';
import { FIXTURES, readTopic, withLog } from './ingest-helpers.ts';

// chain-long.csv on the crypto calendar keeps three snapshots: 2026-08-18 10:43, 15:31 and 15:33
// IST (ingest-chains.test.ts); 15:32 IST = 10:02 UTC = 1787047320 s (GNU date -d '2026-08-18 15:32 +0530' +%s).
const T1532 = 1787047320_000;
const T1043 = 1787029980_000;

/** Appends one round of a positioned feed (the writer `start` uses) whose last event has tsInit `ts`. */
async function feedRound(access: LogAccess, source: string, ts: number): Promise<void> {
  const appender = new FeedAppender(access.log, access.encode, { source, feed: '', from: 0, ends: new Map() });
  const trade: Trade = { tsEvent: ts, tsInit: ts, symbol: 'BTC', price: 100, size: 1, side: 'BUY', tradeId: 1 };
  appender.add({ topic: 'trades', key: 'BTC', value: trade });
  await appender.flush();
}

const chainFile = { file: join(FIXTURES, 'chain-long.csv'), format: 'option-chain-long', tz: 'Asia/Kolkata', calendar: 'crypto' } as const;

describe('ingest into a log with a live feed', () => {
  test('no feed position: nothing is ahead, the summary says liveFeed null', () =>
    withLog(async (access) => {
      const s = await ingestFile(access, chainFile);
      assert.equal(s.accepted, 3);
      assert.equal(s.liveFeed, null);
    }));

  test('snapshots dated after the feed position are rejected ahead-of-live-feed, the rest appended', () =>
    withLog(async (access) => {
      await feedRound(access, 'synthetic', T1532);
      const s = await ingestFile(access, chainFile);
      assert.deepEqual(s.liveFeed, { source: 'synthetic', tsInit: T1532 });
      // 10:43 and 15:31 are at or before the feed; 15:33 is after it.
      assert.equal(s.accepted, 2);
      assert.deepEqual(s.reasons, { 'ahead-of-live-feed': 1, 'spot-not-positive': 1 });
      const snaps = await readTopic<OptionChainSnapshot>(access, 'options');
      assert.ok(snaps.every((x) => x.tsEvent <= T1532), JSON.stringify(snaps.map((x) => x.tsEvent)));
      // Available to the live host only after its position (D91): stamped 1 ms after it.
      assert.deepEqual(snaps.map((x) => x.tsInit), [T1532 + 1, T1532 + 1]);
      assert.equal(s.availableAtLiveFeed, 2);
      assert.equal(snaps.length, 2);
    }));

  test('the earliest of several feeds bounds the file; a later round of a feed moves its bound', () =>
    withLog(async (access) => {
      await feedRound(access, 'synthetic', T1532);
      await feedRound(access, 'nse', T1043);
      assert.deepEqual(await liveFeedPosition(access.log), { source: 'nse', tsInit: T1043 });
      const s = await ingestFile(access, chainFile);
      assert.equal(s.accepted, 1);
      assert.equal(s.reasons['ahead-of-live-feed'], 2);
      // The nse feed runs on past the file: its latest position counts, and the rest now goes in.
      await feedRound(access, 'nse', T1532 + 3_600_000);
      assert.deepEqual(await liveFeedPosition(access.log), { source: 'synthetic', tsInit: T1532 });
      const again = await ingestFile(access, chainFile);
      assert.equal(again.accepted, 1);
      assert.equal(again.reasons['ahead-of-live-feed'], 1);
      assert.equal(again.reasons['duplicate'], 1);
    }));

  for (const [name, file] of [
    ['candles', { file: join(FIXTURES, 'ohlcv-iso-close.csv'), format: 'ohlcv-csv', symbol: 'X', stamp: 'close' }],
    ['trades', { file: join(FIXTURES, 'BTCUSDT-trades-2026-07-01.csv'), format: 'binance-trades' }],
  ] as const) {
    test(`${name} after the feed are rejected with the same reason: every one the file gives a fresh log`, async () => {
      const fresh = await withLog((access) => ingestFile(access, file));
      assert.ok(fresh.accepted > 0);
      await withLog(async (access) => {
        await feedRound(access, 'synthetic', 0);
        const s = await ingestFile(access, file);
        assert.equal(s.accepted, 0);
        assert.equal(s.reasons['ahead-of-live-feed'], fresh.accepted);
      });
    });
  }
});
