/**
 * KafkaEventLog.close() closes every socket it opened, even after many partitions were followed at
 * once: kafkajs 2.2.4 opens one socket per concurrent first request on a connection and keeps only
 * the last (storage/kafka/share-connects.ts), and the others kept `run projector` from exiting.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import { startKafkaMock } from '../../helpers/kafka-mock.ts';

const mock = await startKafkaMock();
after(() => ('skip' in mock ? undefined : mock.stop()));

const tcpSockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('KafkaEventLog connections', { skip: 'skip' in mock ? mock.skip : false, timeout: 30_000 }, () => {
  test('close() after 16 partitions followed at once leaves no socket open', async () => {
    if ('skip' in mock) return;
    const before = tcpSockets();
    const log = await KafkaEventLog.connect({ brokers: mock.brokers });
    const ac = new AbortController();
    const loops: Promise<void>[] = [];
    const topics = ['a', 'b', 'c', 'd'].map((t) => `conn-${process.pid}-${Date.now().toString(36)}-${t}`);
    const counts = [];
    for (const topic of topics) counts.push(await log.partitions(topic)); // 4 each on the mock
    for (const [i, topic] of topics.entries()) {
      for (let p = 0; p < counts[i]!; p++) {
        loops.push((async () => {
          for await (const batch of log.follow(topic, p, 0, ac.signal)) void batch;
        })());
      }
    }
    await new Promise((r) => setTimeout(r, 1_500)); // every follow has fetched at least once
    ac.abort();
    await Promise.all(loops);
    await log.close();
    const deadline = Date.now() + 5_000;
    while (tcpSockets() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(tcpSockets(), before, `TCP sockets left open: ${tcpSockets() - before}`);
  });
});
