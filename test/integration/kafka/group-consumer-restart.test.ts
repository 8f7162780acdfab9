/**
 * kafkajs restarts a consumer that crashed on a retriable error (here: its broker was killed and
 * came back) with a new internal consumer group whose partitions are NOT paused. The member uses
 * its consumer for membership and commits only (its eachBatch resolves nothing), so that consumer
 * fetched the input partitions in a loop for nothing. GroupProcessor now pauses fetching at every
 * join: after the restart's rejoin the consumer must send no Fetch request while it heartbeats.
 *
 * On a real Kafka broker of this test's own (it uses the catalogue's topic names and kills the
 * broker). The crash is a real one: kafkajs's retries against the killed broker run out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Consumer } from 'kafkajs';
import { GroupProcessor } from '../../../hosts/group/group-processor.ts';
import { markProgress } from '../../../hosts/group/feed-progress.ts';
import { INPUT_TOPICS } from '../../../hosts/merged-reader.ts';
import { silentLogger } from '../../../lib/log.ts';
import { DEFAULT_GRAPH_CONFIG } from '../../../processors/graph.ts';
import { CLOSED_WATERMARK } from '../../../schemas/index.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { createCatalogueTopics } from '../../../storage/kafka/create-topics.ts';
import { openKafkaLog, type KafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { realKafka, withAdmin, type RealKafka } from '../../helpers/kafka-broker.ts';
import { toyPredictor } from '../../helpers/toy-predictor.ts';
import { caughtUp, until } from './group-helpers.ts';

// A broker of its own process: the test kills and restarts it (never the shared CI broker).
const kafka = await realKafka({ own: true, process: true });
const skip = 'skip' in kafka ? kafka.skip : false;
const GROUP = 'g-consumer-restart';

interface Seen {
  consumer: Consumer;
  joins: number;
  fetches: number;
  heartbeats: number;
  restarts: number;
}

describe("kafkajs's restarted group consumer stays paused", { skip, timeout: 300_000 }, () => {
  let k: KafkaLog;
  let brokers: string[];
  after(async () => {
    await k?.close();
    if (!('skip' in kafka)) await kafka.stop();
  });
  before(async () => {
    brokers = (kafka as RealKafka).brokers;
    await withAdmin(brokers, createCatalogueTopics);
    k = await openKafkaLog({ brokers, backoff: { initialMs: 200, maxMs: 2_000, maxElapsedMs: 240_000 } });
    await writeSyntheticHistory(k.log, k.serde, syntheticConfig({ days: 0.02, seed: 5 }));
    await markProgress(k.log, (t, v) => k.serde.encode(t, v), 'test', CLOSED_WATERMARK);
  });

  test('after the broker is killed and started again, the rejoined consumer heartbeats without fetching', async () => {
    if ('skip' in kafka) return;
    const cluster = kafka.cluster;
    assert.ok(cluster !== undefined, 'a broker of its own, which the test can kill');
    const seen: Seen[] = [];
    const stop = new AbortController();
    const member = new GroupProcessor({
      brokers, groupId: GROUP, log: k.log, encode: (t, v) => k.serde.encode(t, v), decode: (t, b) => k.serde.decodeAs(t, b),
      predictor: toyPredictor('restart-model'), config: DEFAULT_GRAPH_CONFIG, signal: stop.signal, logger: silentLogger(), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500,
      onConsumer: (consumer) => {
        const s: Seen = { consumer, joins: 0, fetches: 0, heartbeats: 0, restarts: 0 };
        seen.push(s);
        consumer.on(consumer.events.GROUP_JOIN, () => void s.joins++);
        consumer.on(consumer.events.HEARTBEAT, () => void s.heartbeats++);
        consumer.on(consumer.events.CRASH, (e) => void (e.payload.restart && s.restarts++));
        consumer.on(consumer.events.REQUEST, (e) => void (e.payload.apiName === 'Fetch' && s.fetches++));
      },
    });
    const done = member.run();
    try {
      await caughtUp(brokers, GROUP, 120_000);
      assert.equal(seen[0]!.fetches, 0, 'the first join is paused before its fetch loop starts');
      const node = cluster.nodes[0]!.id;
      // Which crash kafkajs sees first depends on which request meets the dead broker: a retriable
      // one (it restarts the consumer itself: the case here) or not (the member then joins with a
      // new consumer, paused by join()). Kill it again until kafkajs restarts its own consumer.
      let first: Seen | undefined;
      for (let attempt = 1; first === undefined; attempt++) {
        const current = seen[seen.length - 1]!;
        const consumers = seen.length;
        const restarts = current.restarts;
        const joins = current.joins;
        await cluster.stopNode(node, 'SIGKILL');
        await until(() => current.restarts > restarts || seen.length > consumers, 120_000, () => `a crash of the consumer after its broker died (restarts ${current.restarts}, consumers ${seen.length})`);
        await cluster.startNode(node);
        await until(() => current.joins > joins || seen.length > consumers, 180_000, () => `the consumer rejoining (joins ${current.joins}, restarts ${current.restarts}, consumers ${seen.length})`);
        if (seen.length === consumers) first = current;
        else {
          assert.ok(attempt < 4, 'kafkajs never restarted its own consumer in 4 broker kills');
          await caughtUp(brokers, GROUP, 120_000);
        }
      }
      const fetchesAtRejoin = first.fetches;
      const heartbeatsAtRejoin = first.heartbeats;
      // Its fetch loop runs between heartbeats (a paused one sleeps maxWaitTime, 250 ms, instead of fetching).
      await until(() => first.heartbeats >= heartbeatsAtRejoin + 6, 60_000, () => `heartbeats after the rejoin (${first.heartbeats - heartbeatsAtRejoin})`);
      assert.equal(first.fetches - fetchesAtRejoin, 0, `Fetch requests of the restarted consumer after its rejoin (${first.fetches - fetchesAtRejoin}): it is not paused`);
      const paused = new Set(first.consumer.paused().map((x) => x.topic));
      for (const t of INPUT_TOPICS) assert.ok(paused.has(t), `${t} paused`);
    } finally {
      stop.abort();
    }
    const result = await done;
    assert.ok(result.assignments >= 2, `assignments ${result.assignments}`);
  });
});
