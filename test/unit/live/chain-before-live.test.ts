/**
 * Option chain rows dated BEFORE a live feed's position are accepted by ingest (D72 refuses only
 * rows dated after it). Appended, such a snapshot sits behind records of its `options` partition
 * that are dated after it. This checks that a live host restarted from its checkpoint, then going
 * on live, writes exactly the derived records (topic, partition, offset, bytes) that a replay of
 * the final log from offset 0 produces (docs/reliability.md). As `start` does it: checkpoints
 * beside the log, a LogSink that skips what the log holds, a synthetic market with chains.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GraphCheckpointer } from '../../../hosts/checkpointing.ts';
import { levelFeedWithLog } from '../../../hosts/live/feed-writer.ts';
import { runLive } from '../../../hosts/live/live-runner.ts';
import { DERIVED_TOPICS, LogSink, RecordedOutputs } from '../../../hosts/log-sink.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { DEFAULT_GRAPH_CONFIG } from '../../../processors/graph.ts';
import { ingestFile } from '../../../sources/ingest/index.ts';
import { SyntheticMarket } from '../../../sources/synthetic/synthetic-market.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { CheckpointStore } from '../../../storage/checkpoints/checkpoint-store.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { derivedRecords } from '../../helpers/derived-records.ts';

const HOUR = 3_600_000;
const cfg = syntheticConfig({ days: 0.5, seed: 31, signalStrength: 1 });

/** An option-chain-long file: `underlying` snapshots at the given market offsets (UTC), two strikes, calls and puts. */
function chainFile(path: string, underlying: string, atMs: number[]): void {
  const stamp = (t: number): string => new Date(t).toISOString().replace(/[-T:]/g, '').slice(0, 12);
  const lines = ['timestamp,symbol,expiry,strike,option_type,spot,ltp,volume,oi,iv'];
  atMs.forEach((at, k) => {
    const t = cfg.start + at;
    for (const [strike, right, ltp, iv] of [[24000, 'CE', 260, 13], [24000, 'PE', 40, 14], [24200, 'CE', 90, 12.5], [24200, 'PE', 120, 13.5]] as const) {
      lines.push(`${stamp(t)},${underlying},30-Jan-2026,${strike},${right},${24150 + k},${ltp + k},${100 + k},${1000 + k},${iv}`);
    }
  });
  writeFileSync(path, `${lines.join('\n')}\n`);
}

for (const everyMarketMinutes of [20, 1]) {
  test(`chain snapshots dated before the live position, ingested between two live runs (checkpoints every ${everyMarketMinutes} market min): the restarted live run writes what a replay does`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickflow-chain-before-'));
    try {
      const a = await openEmbeddedLog(join(dir, 'live'));
      const access = { log: a.log, encode: (t: string, v: object) => a.serde.encode(t, v), decode: (t: string, b: Uint8Array) => a.serde.decodeAs(t, b) };
      let wall = 0;
      // One run as `start --history-days … --stop-after 1h` does it: level the feed with the log
      // (history up to 2 h, or resume after the feed's recorded position), then one market hour live.
      const runPart = async (): Promise<{ resumedFrom: number; catchUp: number }> => {
        const lv = await levelFeedWithLog({ ...access, feed: new SyntheticMarket(cfg).events(), topics: ['trades', 'options'], source: 'synthetic', historyEnd: cfg.start + 2 * HOUR });
        const sink = new LogSink(a.log, { encode: access.encode }, await RecordedOutputs.read(a.log, DERIVED_TOPICS));
        const cps = new GraphCheckpointer({ store: new CheckpointStore(join(dir, 'live')), codeVersion: 'test', config: DEFAULT_GRAPH_CONFIG, predictor: null, sink, everyMarketMs: everyMarketMinutes * 60_000 });
        const r = await runLive({
          log: a.log, encode: access.encode, decode: access.decode, feed: lv.feed, appender: lv.appender, predictor: null,
          sinks: [sink], afterChunk: () => sink.flush(), speed: 1000, stopAfterMs: HOUR, signal: new AbortController().signal, checkpoints: cps,
          wallNow: () => (wall += 50),
        });
        await sink.flush();
        return { resumedFrom: cps.resumedFrom, catchUp: r.catchUpInputs };
      };
      await runPart();
      // Three NIFTY50 snapshots dated 1 h to 1 h 10 into the market, two hours behind the live position.
      const file = join(dir, 'chain.csv');
      chainFile(file, 'NIFTY50', [HOUR, HOUR + 5 * 60_000, HOUR + 10 * 60_000]);
      const s = await ingestFile(access, { file, format: 'option-chain-long', tz: 'UTC', calendar: 'crypto' });
      assert.equal(s.accepted, 3, JSON.stringify(s));
      assert.equal(s.rejected, 0, JSON.stringify(s));
      assert.equal((s.liveFeed as { source: string }).source, 'synthetic');
      // Stamped available just after the feed's position (D91): the live host could not have seen them before.
      assert.equal(s.availableAtLiveFeed, 3, JSON.stringify(s));
      // And a BTC snapshot (the feed's own underlying) dated before its last one is refused: one writer per key's time.
      const btc = join(dir, 'btc.csv');
      chainFile(btc, 'BTC', [HOUR]);
      const b = await ingestFile(access, { file: btc, format: 'option-chain-long', tz: 'UTC', calendar: 'crypto' });
      assert.equal(b.accepted, 0, JSON.stringify(b));
      const second = await runPart();
      assert.ok(second.resumedFrom > 0, 'the second run resumed from a checkpoint');
      const liveOut = await derivedRecords(a.log);
      assert.ok(liveOut.some((l) => l.includes(' NIFTY50 ')), 'the imported snapshots left derived records');

      // Reference: the final log replayed from offset 0 into a fresh log's derived topics.
      const c = await openEmbeddedLog(join(dir, 'ref'));
      const ref = new LogSink(c.log, { encode: access.encode });
      await replayLog({ log: a.log, decode: access.decode, sinks: [ref] });
      await ref.flush();
      const replayed = await derivedRecords(c.log);
      await c.close();
      const first = liveOut.findIndex((l, i) => l !== replayed[i]);
      assert.equal(first, -1, `first difference at ${first}: live ${liveOut[first]?.slice(0, 120)} / replay ${replayed[first]?.slice(0, 120)} (live ${liveOut.length}, replay ${replayed.length})`);
      await a.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
