/**
 * Bounded reads on a real broker (D100): a fetch returns whole record batches, and what comes back
 * past a read's end is kept for the read that starts there. Reading a partition in windows of a
 * few offsets must give exactly the records one read of the whole partition gives (aborted
 * transactions and transaction markers in the middle included: their offsets stay gaps), with far
 * fewer fetches than windows (each batch fetched and decoded about once, not once per window).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import { partitionFor, type AppendRecord, type LogRecord } from '../../../storage/log/event-log.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const kafka = await realKafka();
const skip = 'skip' in kafka ? kafka.skip : false;
after(() => ('skip' in kafka ? undefined : kafka.stop()));

const KEY = 'k';
function records(from: number, count: number): AppendRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: KEY, timestamp: 1_700_000_000_000 + from + i, value: Buffer.from(`v${from + i}`) }));
}
const view = (rs: LogRecord[]): string[] => rs.map((r) => `${r.offset}:${Buffer.from(r.value).toString()}`);

describe('bounded reads with read-ahead on a real broker', { skip, timeout: 120_000 }, () => {
  test('windows of 7 offsets give the whole read, aborted records and markers left out, in few fetches', async () => {
    if ('skip' in kafka) return;
    const topic = `read-ahead-${process.pid}-${Date.now().toString(36)}`;
    const log = await KafkaEventLog.connect({ brokers: kafka.brokers });
    const producer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    try {
      const partition = partitionFor(KEY, await log.partitions(topic));
      await log.append(topic, records(0, 2_000));
      await producer.connect();
      const message = (i: number) => ({ key: KEY, value: `aborted${i}`, partition });
      const aborted = await producer.transaction();
      await aborted.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => message(i)) });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ key: KEY, value: `tx${i}`, partition })) });
      await committed.commit();
      await log.append(topic, records(2_000, 500));

      // The coordinator writes a transaction's markers after commit()/abort() return, and a
      // committed read stops at the last stable offset until they are written: await the whole
      // read's 2,000 + 20 + 500 committed records (a read that never gives them fails here).
      let whole: LogRecord[] = [];
      await waitFor(
        () => `the whole read to reach the last stable offset past both transactions (read ${whole.length} of 2,520)`,
        async () => {
          whole = [];
          for await (const b of log.read(topic, partition)) whole.push(...b);
          return whole.length >= 2_520;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      assert.equal(whole.length, 2_520, 'the 2,000 + 20 + 500 committed records; the 30 aborted ones and the 2 markers are not read');
      assert.ok(!whole.some((r) => Buffer.from(r.value).toString().startsWith('aborted')));

      const end = await log.endOffset(topic, partition);
      const before = log.readStats();
      const windowed: LogRecord[] = [];
      let windows = 0;
      for (let next = 0; next < end; next += 7, windows++) for await (const b of log.read(topic, partition, { fromOffset: next, toOffset: next + 7, batchSize: 3 })) windowed.push(...b);
      assert.deepEqual(view(windowed), view(whole));
      const after = log.readStats();
      const fetches = after.fetches - before.fetches;
      assert.ok(windows > 300, `${windows} windows`);
      assert.ok(fetches * 10 < windows, `${fetches} fetches for ${windows} windows: batches were fetched again`);
      assert.ok(after.readAheadHits - before.readAheadHits > windows - fetches - 1);

      // A read elsewhere in the partition (say a second reader) is answered right, and so is the next window after it.
      const mid: LogRecord[] = [];
      for await (const b of log.read(topic, partition, { fromOffset: 1_000, toOffset: 1_010 })) mid.push(...b);
      assert.deepEqual(view(mid), view(whole.filter((r) => r.offset >= 1_000 && r.offset < 1_010)));
      const tail: LogRecord[] = [];
      for await (const b of log.read(topic, partition, { fromOffset: 1_010, toOffset: end + 100 })) tail.push(...b);
      assert.deepEqual(view(tail), view(whole.filter((r) => r.offset >= 1_010)));
    } finally {
      await producer.disconnect().catch(() => undefined);
      await log.close();
    }
  });
});
