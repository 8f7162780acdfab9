/**
 * Exactly-once takeover: a member fences a partition (connects the partition's transactional
 * producer) BEFORE it trusts the group's committed offsets for it. Otherwise a transaction of an
 * earlier owner (or of the member's own failed round) that commits between the read and the
 * fence is missed: the member rebuilds from the older offsets and makes that transaction's
 * outputs again, with the same ids (duplicates on the topics; the 100-kill soak found 6 signals
 * and 31 bars twice, docs/reliability.md).
 *
 * On a real Kafka broker of this test's own (it uses the catalogue's topic names). The zombie is
 * a transactional producer with the partition's transactional id whose transaction is open when
 * the member takes the partition over; it tries to commit at the moment the member has fenced
 * and is about to read the offsets (GroupProcessor's `beforeFencedOffsets` seam). With the old
 * order (read, then fence) that commit succeeded, its offsets moved past inputs the member then
 * processed again; now the broker refuses it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, type Producer, type Transaction } from 'kafkajs';
import { GroupProcessor } from '../../../hosts/group/group-processor.ts';
import { markProgress } from '../../../hosts/group/feed-progress.ts';
import { silentLogger } from '../../../lib/log.ts';
import { DEFAULT_GRAPH_CONFIG } from '../../../processors/graph.ts';
import { CLOSED_WATERMARK } from '../../../schemas/index.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { createCatalogueTopics } from '../../../storage/kafka/create-topics.ts';
import { openKafkaLog, type KafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { realKafka, withAdmin, type RealKafka } from '../../helpers/kafka-broker.ts';
import { toyPredictor } from '../../helpers/toy-predictor.ts';
import { barId, caughtUp, inputCount, readTopic, signalId } from './group-helpers.ts';

const kafka = await realKafka({ own: true });
const skip = 'skip' in kafka ? kafka.skip : false;
const GROUP = 'g-fence-order';

describe('exactly-once takeover fences before it reads the committed offsets', { skip, timeout: 300_000 }, () => {
  let k: KafkaLog;
  let brokers: string[];
  let zombie: Producer | undefined;
  after(async () => {
    await zombie?.disconnect().catch(() => undefined);
    await k?.close();
    if (!('skip' in kafka)) await kafka.stop();
  });
  before(async () => {
    brokers = (kafka as RealKafka).brokers;
    await withAdmin(brokers, createCatalogueTopics);
    k = await openKafkaLog({ brokers });
    await writeSyntheticHistory(k.log, k.serde, syntheticConfig({ days: 0.05, seed: 29 }));
  });

  test("a zombie's transaction that would commit during the takeover is refused; every input is processed once", async () => {
    // The first partition with trades (symbols hash to partitions).
    let victim = 0;
    while ((await k.log.endOffset('trades', victim)) === 0) victim++;
    const end = await k.log.endOffset('trades', victim);
    // The earlier owner: its transaction claims every trade of the victim partition as done
    // (offsets only: what it would have written is beside the point) and is still open.
    zombie = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({ transactionalId: `${GROUP}-p${victim}`, idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    const tx: Transaction = await zombie.transaction();
    await tx.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: 'trades', partitions: [{ partition: victim, offset: String(end) }] }] });

    let zombieCommit = 'not tried';
    const stop = new AbortController();
    const member = new GroupProcessor({
      brokers, groupId: GROUP, log: k.log, encode: (t, v) => k.serde.encode(t, v), decode: (t, b) => k.serde.decodeAs(t, b),
      predictor: toyPredictor('fence-order-model'), config: DEFAULT_GRAPH_CONFIG, signal: stop.signal, logger: silentLogger(), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 600,
      exactlyOnce: true,
      beforeFencedOffsets: async (partitions) => {
        if (zombieCommit !== 'not tried' || !partitions.includes(victim)) return;
        try {
          await tx.commit();
          zombieCommit = 'committed';
        } catch (e) {
          zombieCommit = (e as Error).message;
        }
      },
    });
    const done = member.run();
    try {
      await markProgress(k.log, (t, v) => k.serde.encode(t, v), 'test', CLOSED_WATERMARK);
      await caughtUp(brokers, GROUP, 120_000);
    } finally {
      stop.abort();
    }
    const result = await done;
    assert.notEqual(zombieCommit, 'not tried', 'the member took the victim partition over through the seam');
    assert.notEqual(zombieCommit, 'committed', "the zombie's commit went through after the member had read the offsets it rebuilt from");
    assert.equal(result.inputs, await inputCount(k), 'each input processed once, the victim partition from its real committed offset');
    const signals = await readTopic(brokers, 'signals', signalId);
    const bars = await readTopic(brokers, 'bars', barId);
    assert.deepEqual({ signals: signals.duplicateIds, bars: bars.duplicateIds }, { signals: [], bars: [] }, 'each output id once');
    assert.ok(bars.byPartition.flat().length > 0, 'outputs were written');
  });
});

