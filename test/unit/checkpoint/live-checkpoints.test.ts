import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GraphCheckpointer } from '../../../hosts/checkpointing.ts';
import { runLive, type FeedEvent } from '../../../hosts/live/live-runner.ts';
import { DERIVED_TOPICS, LogSink, RecordedOutputs } from '../../../hosts/log-sink.ts';
import { MergedReader } from '../../../hosts/merged-reader.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { DEFAULT_GRAPH_CONFIG } from '../../../processors/graph.ts';
import { newGraphStats } from '../../../processors/graph-events.ts';
import { SyntheticMarket } from '../../../sources/synthetic/synthetic-market.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { CheckpointStore } from '../../../storage/checkpoints/checkpoint-store.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { hostEvents, type HostEvents } from '../../../hosts/host-events.ts';
import { recordingLogger } from '../../helpers/log-records.ts';
import { derivedRecords } from '../../helpers/derived-records.ts';

const HOUR = 3_600_000;

/** One seeded feed, handed out in market-time slices without losing the event at a boundary. */
function slicer(days: number): (until: number) => Iterator<FeedEvent> {
  // Some bad trades, so dead letters flow too.
  const cfg = syntheticConfig({ days, seed: 31, signalStrength: 1, badTradeRate: 0.002 });
  const gen = new SyntheticMarket(cfg).events() as Iterator<FeedEvent>;
  let pending = gen.next();
  return (until) => ({
    next: (): IteratorResult<FeedEvent> => {
      if (pending.done || pending.value.value.tsInit >= cfg.start + until) return { done: true, value: undefined };
      const r = pending;
      pending = gen.next();
      return r;
    },
  });
}

test('live restart from a checkpoint: the derived topics equal those of a replay from offset 0, nothing lost or repeated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-live-ckpt-'));
  try {
    const a = await openEmbeddedLog(join(dir, 'live'));
    const { logger, messages } = recordingLogger();
    const slice = slicer(0.5);
    let wall = 0;
    const runPart = async (until: number): Promise<{ resumedFrom: number; catchUp: number; written: number; seen: string[]; deadLetters: number; statsDeadLetters: number }> => {
      // The live host's instrumentation events, in order (one emitter for the host and its checkpoints).
      const events = hostEvents();
      const seen: string[] = [];
      let deadLetters = 0;
      events.on('resume', ({ inputs }) => seen.push(`resume ${inputs}`));
      events.on('caught-up', ({ inputs }) => seen.push(`caught-up ${inputs}`));
      events.on('live', ({ speed }) => seen.push(`live ${speed}`));
      events.on('dead-letter', (d) => void (deadLetters += d.reason === '' ? 0 : 1));
      const sink = new LogSink(a.log, { encode: (t, v) => a.serde.encode(t, v) }, await RecordedOutputs.read(a.log, DERIVED_TOPICS));
      const cps = new GraphCheckpointer({ store: new CheckpointStore(join(dir, 'live')), codeVersion: 'test', config: DEFAULT_GRAPH_CONFIG, predictor: null, sink, everyMarketMs: 20 * 60_000, logger, events });
      const r = await runLive({
        log: a.log, encode: (t, v) => a.serde.encode(t, v), decode: (t, b) => a.serde.decodeAs(t, b), feed: slice(until), predictor: null,
        sinks: [sink], afterChunk: () => sink.flush(), speed: 1, signal: new AbortController().signal, checkpoints: cps, events,
        // Fake wall clock: one market minute per reading, so the run is fast and chunked.
        wallNow: () => (wall += 60_000),
      });
      await sink.flush();
      return { resumedFrom: cps.resumedFrom, catchUp: r.catchUpInputs, written: cps.written, seen, deadLetters, statsDeadLetters: r.stats.deadLetters };
    };
    const first = await runPart(4 * HOUR);
    assert.equal(first.resumedFrom, 0);
    assert.ok(first.written >= 5, `checkpoints written ${first.written}`);
    assert.deepEqual(first.seen, ['caught-up 0', 'live 1']);
    // From offset 0, every dead letter the graph counted was emitted once, with its reason.
    assert.ok(first.deadLetters > 0 && first.deadLetters === first.statsDeadLetters, `${first.deadLetters} events, ${first.statsDeadLetters} counted`);
    const second = await runPart(7 * HOUR);
    assert.ok(second.resumedFrom > 0, messages().join('\n'));
    assert.ok(second.catchUp < second.resumedFrom, `caught up on ${second.catchUp} inputs, resumed from ${second.resumedFrom}`);
    assert.deepEqual(second.seen, [`resume ${second.resumedFrom}`, `caught-up ${second.catchUp}`, 'live 1']);
    const liveOut = await derivedRecords(a.log);
    assert.ok(liveOut.length > 100);

    // Reference: the final log's inputs replayed from offset 0 into a fresh log's derived topics.
    const c = await openEmbeddedLog(join(dir, 'ref'));
    const ref = new LogSink(c.log, { encode: (t, v) => a.serde.encode(t, v) });
    await replayLog({ log: a.log, decode: (t, b) => a.serde.decodeAs(t, b), sinks: [ref] });
    await ref.flush();
    assert.deepStrictEqual(liveOut, await derivedRecords(c.log));
    await c.close();

    // A checkpoint that counts more outputs than the log holds (as if outputs were lost) is refused.
    const store = new CheckpointStore(join(dir, 'live'));
    const fewer = new LogSink(a.log, { encode: (t, v) => a.serde.encode(t, v) }, new RecordedOutputs());
    const cps = new GraphCheckpointer({ store, codeVersion: 'test', config: DEFAULT_GRAPH_CONFIG, predictor: null, sink: fewer });
    const refused: HostEvents['checkpoint-ignored'][0][] = [];
    cps.events.on('checkpoint-ignored', (e) => refused.push(e));
    assert.equal(await cps.resume(new MergedReader(a.log, (t, b) => a.serde.decodeAs(t, b)), newGraphStats(), a.log), 0);
    assert.ok(refused.length > 0 && refused.every((e) => typeof e.inputs === 'number'), JSON.stringify(refused));
    assert.match(refused[0]!.reason, /^the log holds 0 \w+ records, the checkpoint counted \d+/);
    await a.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
