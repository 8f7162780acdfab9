/**
 * A resent batch the broker already wrote must not be appended twice (D64). On a real broker of
 * this test's own (kafka/broker.ts), paused with SIGSTOP: the append's produce request waits in the
 * socket, kafkajs's request times out (requestTimeoutMs 1 s) and KafkaEventLog resends the batch
 * (the retry is awaited in its log). On SIGCONT the broker reads the first request, writes the
 * batch, then reads the resends of the same batch. With `idempotent: false` (the producer before
 * D64) every resend was written too: 3 or more copies of each record; with the idempotent producer
 * the broker answers the resends with the first write's offsets.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import type { AppendRecord, LogRecord } from '../../../storage/log/event-log.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';
import { recordingLogger } from '../../helpers/log-records.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// A broker process of its own: the tests pause it (SIGSTOP).
const own = await realKafka({ own: true, process: true });
const skip = 'skip' in own ? own.skip : false;
after(() => ('skip' in own ? undefined : own.stop()));

function records(from: number, count: number): AppendRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, timestamp: 1_700_000_000_000 + from + i, value: Buffer.from(`v${from + i}`) }));
}

async function readAll(log: KafkaEventLog, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let p = 0; p < (await log.partitions(topic)); p++) for await (const batch of log.read(topic, p)) out.push(...batch);
  return out;
}

describe('idempotent appends on a real broker', { skip, timeout: 180_000 }, () => {
  test('a batch resent after a request timed out on a paused broker is written once', async () => {
    if ('skip' in own) return;
    assert.ok(own.cluster !== undefined, 'a broker of its own, which the test pauses');
    const pid = own.cluster.nodes[0]!.pid!;
    const { logger, records: logged } = recordingLogger();
    const log = await KafkaEventLog.connect({
      brokers: own.brokers,
      requestTimeoutMs: 1_000,
      backoff: { initialMs: 200, maxMs: 500, maxElapsedMs: 120_000 },
      logger,
    });
    assert.equal(log.idempotent, true, 'a real broker gets the idempotent producer');
    let paused = false;
    try {
      const topic = `idempotent-${Date.now()}`;
      // Creates the topic and its leaders before the broker is paused.
      await log.append(topic, records(0, 10));
      process.kill(pid, 'SIGSTOP');
      paused = true;
      const appending = log.append(topic, records(10, 50));
      await waitFor(
        'a retried append',
        () => logged.some((r) => r.event === 'retry' && r.msg.startsWith(`append to ${topic}`)),
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      process.kill(pid, 'SIGCONT');
      paused = false;
      const positions = await appending;
      assert.equal(positions.length, 50);
      assert.equal(new Set(positions.map((p) => `${p.partition}/${p.offset}`)).size, 50, 'each record has its own position');

      const stored = await readAll(log, topic);
      const copies = new Map<string, number>();
      for (const r of stored) copies.set(r.key, (copies.get(r.key) ?? 0) + 1);
      const duplicated = [...copies].filter(([, n]) => n > 1);
      assert.deepEqual(duplicated, [], `records written more than once (key, copies) of ${stored.length} stored`);
      assert.equal(stored.length, 60);
      // The positions append returned are where the records are.
      const byPosition = new Map(stored.map((r) => [`${r.partition}/${r.offset}`, r.key]));
      assert.deepEqual(
        positions.map((p) => byPosition.get(`${p.partition}/${p.offset}`)),
        records(10, 50).map((r) => r.key),
      );
    } finally {
      if (paused) process.kill(pid, 'SIGCONT');
      await log.close();
    }
  });

  test('concurrent appends to one topic and to another, all resent on a paused broker: each record once, none lost', async () => {
    if ('skip' in own) return;
    assert.ok(own.cluster !== undefined, 'a broker of its own, which the test pauses');
    const pid = own.cluster.nodes[0]!.pid!;
    const { logger, records: logged } = recordingLogger();
    const log = await KafkaEventLog.connect({ brokers: own.brokers, requestTimeoutMs: 1_000, backoff: { initialMs: 200, maxMs: 500, maxElapsedMs: 120_000 }, logger });
    let paused = false;
    try {
      const a = `idempotent-a-${Date.now()}`;
      const b = `idempotent-b-${Date.now()}`;
      await Promise.all([log.append(a, records(0, 5)), log.append(b, records(0, 5))]);
      process.kill(pid, 'SIGSTOP');
      paused = true;
      // Two appends to `a` at once: the second must not take the sequence of the first while it is resent.
      const appends = [log.append(a, records(5, 40)), log.append(a, records(45, 40)), log.append(b, records(5, 30))];
      await waitFor('a retried append', () => logged.some((r) => r.event === 'retry' && r.msg.startsWith('append to ')), { timeoutMs: 60_000, intervalMs: 50 });
      process.kill(pid, 'SIGCONT');
      paused = false;
      await Promise.all(appends);
      for (const [topic, n] of [[a, 85], [b, 35]] as const) {
        const keys = (await readAll(log, topic)).map((r) => r.key).sort();
        assert.deepEqual(keys, records(0, n).map((r) => r.key).sort(), `${topic}: every record exactly once`);
      }
    } finally {
      if (paused) process.kill(pid, 'SIGCONT');
      await log.close();
    }
  });
});
