/**
 * KafkaEventLog.close() closes every socket it opened, even after many partitions were followed at
 * once: kafkajs 2.2.4 opens one socket per concurrent first request on a connection and keeps only
 * the last (storage/kafka/share-connects.ts), and the others kept `run projector` from exiting.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// Fresh topic names: the shared broker (npm test's, TICKFLOW_REAL_KAFKA) or one of this process.
const kafka = await realKafka();
after(() => ('skip' in kafka ? undefined : kafka.stop()));

const tcpSockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('KafkaEventLog connections', { skip: 'skip' in kafka ? kafka.skip : false, timeout: 30_000 }, () => {
  test('close() after 16 partitions followed at once leaves no socket open', async () => {
    if ('skip' in kafka) return;
    const before = tcpSockets();
    // The sockets this test counts come from concurrent first requests, whatever the wait. (With
    // a Fetch per follow, close() waited for 16 queued polls, 8 s at the default 500 ms wait; the
    // follows now share one Fetch per broker, D124, follow-fetch.test.ts.)
    const log = await KafkaEventLog.connect({ brokers: kafka.brokers, followMaxWaitMs: 50 });
    const ac = new AbortController();
    const loops: Promise<void>[] = [];
    const topics = ['a', 'b', 'c', 'd'].map((t) => `conn-${process.pid}-${Date.now().toString(36)}-${t}`);
    const counts = [];
    for (const topic of topics) counts.push(await log.partitions(topic)); // auto-created: num.partitions=4 (kafka/broker.ts)
    assert.deepEqual(counts, [4, 4, 4, 4], '16 partitions in all');
    // One record in every partition, so that each follow shows it has fetched by yielding it.
    for (const [i, topic] of topics.entries()) {
      const n = counts[i]!;
      const keys = new Map<number, string>();
      for (let k = 0; keys.size < n; k++) if (!keys.has(partitionFor(`k${k}`, n))) keys.set(partitionFor(`k${k}`, n), `k${k}`);
      await log.append(topic, [...keys.values()].map((key) => ({ key, timestamp: 1, value: Uint8Array.of(1) })));
    }
    let fetched = 0;
    for (const [i, topic] of topics.entries()) {
      for (let p = 0; p < counts[i]!; p++) {
        loops.push((async () => {
          let first = true;
          for await (const batch of log.follow(topic, p, 0, ac.signal)) {
            void batch;
            if (first) fetched++;
            first = false;
          }
        })());
      }
    }
    const follows = loops.length;
    await waitFor(() => `every follow to fetch (${fetched} of ${follows})`, () => fetched === follows, { timeoutMs: 20_000 });
    ac.abort();
    await Promise.all(loops);
    await log.close();
    await waitFor(() => `sockets to close (${tcpSockets() - before} left open)`, () => tcpSockets() <= before, { timeoutMs: 5_000 });
    assert.equal(tcpSockets(), before, `TCP sockets left open: ${tcpSockets() - before}`);
  });
});
