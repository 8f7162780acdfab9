/**
 * Consumer-group takeover from a checkpoint on a real Kafka broker (kafka/broker.ts, a broker of
 * this test's own: it uses the catalogue's topic names). Member A processes the inputs up to T1
 * (and writes a checkpoint per partition after that committed round, on the compacted
 * `checkpoints` topic), then up to T2 (committed, no checkpoint: not due), and leaves. Member B
 * takes over: it restores each partition from A's checkpoint and replays only the inputs between
 * T1 and T2, then processes the rest. The signals on Kafka, deduplicated by id, equal a replay
 * from offset 0 of the same Kafka inputs, partition by partition, byte for byte.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { GroupProcessor, type GroupResult } from '../../../hosts/group/group-processor.ts';
import { markProgress } from '../../../hosts/group/feed-progress.ts';
import { UnitCheckpoints } from '../../../hosts/group/unit-checkpoints.ts';
import { hostEvents, type HostEvents } from '../../../hosts/host-events.ts';
import { INPUT_TOPICS } from '../../../hosts/merged-reader.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { silentLogger } from '../../../lib/log.ts';
import { graphIdentity } from '../../../processors/checkpoint/index.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import { DEFAULT_GRAPH_CONFIG } from '../../../processors/graph.ts';
import { CLOSED_WATERMARK, TOPICS, type Signal } from '../../../schemas/index.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { LogCheckpointStore } from '../../../storage/checkpoints/log-checkpoint-store.ts';
import { createCatalogueTopics } from '../../../storage/kafka/create-topics.ts';
import { openKafkaLog, type KafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { partitionFor, type AppendRecord } from '../../../storage/log/event-log.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { tempDir } from '../../helpers/cli.ts';
import { realKafka, type RealKafka } from '../../helpers/kafka-broker.ts';
import { caughtUp } from './group-helpers.ts';
import { toyPredictor } from '../../helpers/toy-predictor.ts';

const kafka = await realKafka({ own: true });
const skip = 'skip' in kafka ? kafka.skip : false;

const predictor = toyPredictor('ckpt-test-model');
const IDENTITY = graphIdentity(DEFAULT_GRAPH_CONFIG, predictor, 'code-ckpt-test');
const MARKET = syntheticConfig({ days: 0.3, seed: 23, signalStrength: 1 });
const T1 = MARKET.start + 2 * 3_600_000;
const T2 = MARKET.start + 3 * 3_600_000;
const GROUP = 'g-ckpt';

describe('consumer-group takeover from a checkpoint on Kafka', { skip, timeout: 600_000 }, () => {
  const tmp = tempDir('tickflow-group-ckpt-');
  let el: EmbeddedLog;
  let k: KafkaLog;
  let brokers: string[];
  after(async () => {
    await k?.close();
    await el?.close();
    if (!('skip' in kafka)) await (kafka).stop();
    tmp.cleanup();
  });
  before(async () => {
    brokers = (kafka as RealKafka).brokers;
    el = await openEmbeddedLog(join(tmp.dir, 'log'));
    await writeSyntheticHistory(el.log, el.serde, MARKET);
    k = await openKafkaLog({ brokers });
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await createCatalogueTopics(admin);
      // The checkpoints topic is compacted on the broker (the catalogue's cleanup policy).
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: TOPICS.checkpoints.name, configNames: ['cleanup.policy'] }] });
      assert.equal(d.resources[0]?.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue, 'compact');
    } finally {
      await admin.disconnect();
    }
  });

  /** Copies the embedded inputs with from < tsInit <= to to Kafka (same keys, so same partitions, in offset order), then marks progress. */
  const feed = async (from: number, to: number, watermark: number): Promise<void> => {
    for (const topic of INPUT_TOPICS) {
      if (!(await el.log.topics()).includes(topic)) continue;
      const records: AppendRecord[] = [];
      for (let p = 0; p < (await el.log.partitions(topic)); p++) {
        for await (const batch of el.log.read(topic, p)) {
          for (const r of batch) {
            const v = el.serde.decodeAs<{ tsInit: number }>(topic, r.value);
            if (v.tsInit > from && v.tsInit <= to) records.push({ key: r.key, timestamp: r.timestamp, value: k.serde.encode(topic, v) });
          }
        }
      }
      if (records.length > 0) await k.log.append(topic, records);
    }
    await markProgress(k.log, (t, v) => k.serde.encode(t, v), 'test', watermark);
  };

  const member = (checkpoints: UnitCheckpoints): { processor: GroupProcessor; stop: AbortController; done: Promise<GroupResult>; assigned: HostEvents['assigned'][0][] } => {
    const stop = new AbortController();
    const events = hostEvents();
    const assigned: HostEvents['assigned'][0][] = [];
    events.on('assigned', (e) => assigned.push(e));
    const processor = new GroupProcessor({
      brokers, groupId: GROUP, log: k.log, encode: (t, v) => k.serde.encode(t, v), decode: (t, b) => k.serde.decodeAs(t, b),
      predictor, config: DEFAULT_GRAPH_CONFIG, checkpoints, signal: stop.signal, logger: silentLogger(), events, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 600,
      // One round per feed step, so A's first committed round (its checkpoint) ends exactly at T1.
      maxRoundInputs: Number.POSITIVE_INFINITY,
    });
    return { processor, stop, done: processor.run(), assigned };
  };

  test('the new owner restores the checkpoint, replays only the tail, and the signals equal a replay', async () => {
    const store = (): LogCheckpointStore => new LogCheckpointStore({ log: k.log, encode: (t, v) => k.serde.encode(t, v), decode: (t, b) => k.serde.decodeAs(t, b) });
    // Member A: a checkpoint after its first committed round per partition only.
    const writtenA: HostEvents['checkpoint'][0][] = [];
    const eventsA = hostEvents();
    eventsA.on('checkpoint', (e) => writtenA.push(e));
    const a = member(new UnitCheckpoints({ store: store(), identity: IDENTITY, everyInputs: 1e12, everyMarketMs: 1e15, events: eventsA }));
    await feed(Number.NEGATIVE_INFINITY, T1, T1);
    await caughtUp(brokers, GROUP, 300_000);
    await feed(T1, T2, T2);
    await caughtUp(brokers, GROUP, 300_000);
    a.stop.abort();
    const ra = await a.done;
    assert.ok(writtenA.length >= 1, 'A wrote checkpoints');
    assert.equal(new Set(writtenA.map((w) => w.partition)).size, writtenA.length, 'one per partition (the first round)');
    assert.ok(ra.commits > writtenA.length, 'A committed rounds after its checkpoints');

    // Member B takes over every partition A held.
    const b = member(new UnitCheckpoints({ store: store(), identity: IDENTITY }));
    await feed(T2, Number.POSITIVE_INFINITY, CLOSED_WATERMARK);
    await caughtUp(brokers, GROUP, 300_000);
    b.stop.abort();
    await b.done;
    for (const w of writtenA) {
      const got = b.assigned.find((x) => x.partition === w.partition);
      assert.ok(got !== undefined, `B owns partition ${w.partition}`);
      assert.equal(got.fromCheckpoint, w.inputs, `partition ${w.partition}: restored from A's checkpoint`);
      assert.ok(got.replayed > 0, `partition ${w.partition}: the inputs between T1 and T2 are replayed`);
      // Only that tail: the inputs of the partition with T1 < tsInit <= T2.
      let tail = 0;
      for (const topic of INPUT_TOPICS) {
        if (!(await el.log.topics()).includes(topic)) continue;
        for await (const batch of el.log.read(topic, w.partition ?? -1)) for (const r of batch) {
          const t = el.serde.decodeAs<{ tsInit: number }>(topic, r.value).tsInit;
          if (t > T1 && t <= T2) tail++;
        }
      }
      assert.equal(got.replayed, tail, `partition ${w.partition}: replayed exactly the tail`);
    }

    // Parity: the signals on Kafka (deduplicated by id) = a replay from offset 0 of the same Kafka
    // inputs, per partition, byte for byte (checkpoint + tail == replay of the same log). The
    // reference is the Kafka log itself, not the embedded one the inputs were copied from: under
    // load a produce retry can append a batch twice, which shifts the input offsets every signal's
    // lineage records (seen once in CI: options offsets 5 higher on Kafka).
    const replayed: GraphEvent[] = [];
    await replayLog({ log: k.log, decode: (t, bytes) => k.serde.decodeAs(t, bytes), predictor, config: DEFAULT_GRAPH_CONFIG, sinks: [{ onEvent: (e) => void replayed.push(e) }] });
    const parts = await k.log.partitions(TOPICS.signals.name);
    const expected: string[][] = Array.from({ length: parts }, () => []);
    for (const e of replayed) if (e.kind === 'signal') expected[partitionFor(e.signal.symbol, parts)]?.push(Buffer.from(k.serde.encode('signals', e.signal)).toString('hex'));
    let total = 0;
    for (let p = 0; p < parts; p++) {
      const seen = new Set<string>();
      const got: string[] = [];
      for await (const batch of k.log.read(TOPICS.signals.name, p)) for (const r of batch) {
        const id = k.serde.decodeAs<Signal>('signals', r.value).id;
        if (seen.has(id)) continue;
        seen.add(id);
        got.push(Buffer.from(r.value).toString('hex'));
      }
      assert.deepEqual(got, expected[p], `signals of partition ${p}`);
      total += got.length;
    }
    assert.ok(total > 20, `signals ${total}`);
  });
});
