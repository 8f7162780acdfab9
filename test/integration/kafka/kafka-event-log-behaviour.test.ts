import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { partitionFor, type LogRecord } from '../../../storage/log/event-log.ts';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import { KafkaLogError } from '../../../storage/kafka/kafka-log-error.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';
import { startKafkaMock } from '../../helpers/kafka-mock.ts';
import { recordingLogger } from '../../helpers/log-records.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// Fresh topic names: the shared real broker (npm test's, TICKFLOW_REAL_KAFKA) or one of this process.
const real = await realKafka();
const realSkip = 'skip' in real ? real.skip : false;
const brokers = 'skip' in real ? [] : real.brokers;
after(() => ('skip' in real ? undefined : real.stop()));
// librdkafka's mock only for what is about the mock itself: its timestamp lookup.
const mock = await startKafkaMock();
const mockSkip = 'skip' in mock ? mock.skip : false;
const mockBrokers = 'skip' in mock ? [] : mock.brokers;
after(() => ('skip' in mock ? undefined : mock.stop()));

let n = 0;
const freshTopic = (): string => `behaviour-${process.pid}-${Date.now().toString(36)}-${n++}`;

async function collect(it: AsyncIterable<LogRecord[]>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

describe('KafkaEventLog on a real broker', { skip: realSkip, timeout: 30_000 }, () => {
  test("kafkajs's own DefaultPartitioner puts keys where partitionFor says (records written by other Kafka clients line up)", async () => {
    const topic = freshTopic();
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const keys = Array.from({ length: 200 }, (_, i) => `SYM${i}-é`);
    await producer.send({ topic, acks: -1, messages: keys.map((k, i) => ({ key: k, value: Buffer.from([i & 0xff]), timestamp: String(1_000 + i) })) });
    await producer.disconnect();
    const log = await KafkaEventLog.connect({ brokers });
    try {
      const parts = await log.partitions(topic);
      let seen = 0;
      for (let p = 0; p < parts; p++) {
        for (const r of await collect(log.read(topic, p))) {
          assert.equal(partitionFor(r.key, parts), p, r.key);
          seen++;
        }
      }
      assert.equal(seen, keys.length);
    } finally {
      await log.close();
    }
  });

  test('one client follows what another appends', async () => {
    const topic = freshTopic();
    const writer = await KafkaEventLog.connect({ brokers });
    const reader = await KafkaEventLog.connect({ brokers });
    const ac = new AbortController();
    try {
      const p = partitionFor('k', await writer.partitions(topic));
      const seen: LogRecord[] = [];
      const following = (async () => {
        for await (const b of reader.follow(topic, p, 0, ac.signal)) seen.push(...b);
      })();
      await writer.append(topic, [{ key: 'k', timestamp: 5, value: Uint8Array.of(1) }, { key: 'k', timestamp: 6, value: Uint8Array.of(2) }]);
      await waitFor('both records followed', () => seen.length >= 2).catch(() => undefined); // the assertion below says what arrived
      ac.abort();
      await following;
      assert.deepEqual(seen.map((r) => [r.offset, r.timestamp, r.value[0]]), [[0, 5, 1], [1, 6, 2]]);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

});

describe('KafkaEventLog on the librdkafka mock cluster', { skip: mockSkip, timeout: 30_000 }, () => {
  test("the mock answers ListOffsets(timestamp) with 'none', which is why timeLookup 'auto' scans there", async () => {
    // If this starts failing, the mock learnt timestamp lookups and the scan fallback can go.
    const topic = freshTopic();
    const log = await KafkaEventLog.connect({ brokers: mockBrokers, timeLookup: 'broker' });
    try {
      const [pos] = await log.append(topic, [{ key: 'x', timestamp: 2_000, value: Uint8Array.of(0) }, { key: 'x', timestamp: 3_000, value: Uint8Array.of(1) }]);
      assert.equal(await log.offsetForTime(topic, pos!.partition, 2_500), 2, 'a real broker answers 1');
    } finally {
      await log.close();
    }
  });
});

describe('KafkaEventLog when no broker answers', () => {
  test('connect retries with backoff, logs each attempt, then gives up with a retriable KafkaLogError', async () => {
    const port = await closedPort();
    const { logger, records } = recordingLogger();
    const started = Date.now();
    await assert.rejects(
      KafkaEventLog.connect({ brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 200, backoff: { initialMs: 20, maxMs: 40, maxElapsedMs: 1_500 }, logger }),
      (e: unknown) => e instanceof KafkaLogError && e.retriable && /gave up after \d+ attempts/.test(e.message) && e.message.includes(`127.0.0.1:${port}`),
    );
    assert.ok(Date.now() - started < 10_000);
    const retries = records.filter((r) => r.event === 'retry');
    assert.ok(retries.length >= 2, JSON.stringify(records));
    assert.deepEqual([retries[0]?.level, retries[0]?.attempt, retries[1]?.attempt], [40, 1, 2]);
    assert.match(retries[0]!.msg, /connect to Kafka at 127\.0\.0\.1:\d+: attempt 1 failed \(.*\); retrying in \d+ ms/);
  });
});

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
