/**
 * A consumer-group member whose offset commit is refused (as a rebalance refuses it: the broker
 * answers ILLEGAL_GENERATION or REBALANCE_IN_PROGRESS to a commit of the generation that just
 * ended) commits that position again on a later pass while the partition is still its own, even
 * when no new inputs come. Before, a refused commit was left to "a new owner"; a member that kept
 * the partition and got no more inputs never committed it, and the group's committed offsets
 * stayed behind for good: the stall of the zombie case in group-failover.test.ts (the survivor's
 * in-flight commit was refused while the woken zombie rejoined, then the feed ended).
 *
 * On a real Kafka broker of this test's own (it uses the catalogue's topic names). The refusal is
 * played by GroupProcessor's commit seam (`wrapCommit`): a refusal at exactly that moment cannot
 * be had from the broker on demand (it needs a commit in flight across the end of a generation).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
import { caughtUp, describeLag, groupLag, inputCount, until, type PartitionLag } from './group-helpers.ts';

const kafka = await realKafka({ own: true });
const skip = 'skip' in kafka ? kafka.skip : false;
const GROUP = 'g-commit-retry';

describe('a refused offset commit is made again while the partition is ours', { skip, timeout: 300_000 }, () => {
  let k: KafkaLog;
  let brokers: string[];
  after(async () => {
    await k?.close();
    if (!('skip' in kafka)) await kafka.stop();
  });
  before(async () => {
    brokers = (kafka as RealKafka).brokers;
    await withAdmin(brokers, createCatalogueTopics);
    k = await openKafkaLog({ brokers });
    await writeSyntheticHistory(k.log, k.serde, syntheticConfig({ days: 0.05, seed: 23 }));
  });

  test('no inputs after the refusal: the group still catches up, by a commit on a later pass', async () => {
    // Commits of the first partition that commits are refused until `refusing` is cleared.
    let refusing = true;
    let victim = -1;
    let refused = 0;
    const stop = new AbortController();
    const member = new GroupProcessor({
      brokers, groupId: GROUP, log: k.log, encode: (t, v) => k.serde.encode(t, v), decode: (t, b) => k.serde.decodeAs(t, b),
      predictor: toyPredictor('commit-retry-model'), config: DEFAULT_GRAPH_CONFIG, signal: stop.signal, logger: silentLogger(), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 600,
      wrapCommit: async (commit, partition) => {
        if (victim < 0) victim = partition;
        if (refusing && partition === victim) {
          refused++;
          throw new Error('The group is rebalancing (played: Specified group generation id is not valid)');
        }
        await commit();
      },
    });
    const done = member.run();
    try {
      // Every input is released at once; the member processes them all and writes the outputs.
      await markProgress(k.log, (t, v) => k.serde.encode(t, v), 'test', CLOSED_WATERMARK);
      // The victim's refused round drained every input of its partition (the bound is closed); the
      // other partitions commit as usual. Then the victim's inputs are the only ones not committed.
      let partitions: PartitionLag[] = [];
      await until(async () => {
        ({ partitions } = await groupLag(brokers, GROUP));
        const behind = partitions.filter((x) => x.committed < x.end);
        return refused > 0 && behind.length > 0 && behind.every((x) => x.partition === victim);
      }, 120_000, () => `the other partitions committed and the victim's commit refused (victim ${victim}, refused ${refused}; ${describeLag(partitions)})`);
      // The rebalance is over; no input comes any more. The victim's position must still reach the group.
      refusing = false;
      await caughtUp(brokers, GROUP, 60_000);
    } finally {
      stop.abort();
    }
    const result = await done;
    assert.ok(result.commitFailures >= 1, `commit failures ${result.commitFailures}`);
    assert.ok(result.recommits >= 1, `recommits ${result.recommits}`);
    assert.equal(result.inputs, await inputCount(k), 'each input processed once (the state was kept, not rebuilt)');
  });
});

