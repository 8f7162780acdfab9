// node --import tsx bench/kafka-clients.ts [--records 200000] [--runs 2] [--json] [--brokers host:port,...]
// Issue 17's client comparison on a real Kafka broker (one of its own from kafka/broker.ts, or
// --brokers): the same records (43-byte values, 64 keys, 4 partitions, partition chosen by the
// caller as KafkaEventLog does, acks=all, batches of 1,000) produced and then consumed through a
// consumer group from the earliest offset, once with kafkajs (the client tickflow uses) and once
// with @platformatic/kafka (pure JavaScript, maintained), each on a topic of its own, alternating
// the order run by run. `@confluentinc/kafka-javascript` (librdkafka) is not measured: it does not
// install here (no prebuilt binary is reachable, and its source build downloads zlib, OpenSSL, zstd
// and curl). Figures are records/s per client; consume is timed from the consumer's start (group
// join included) and from its first record, until every record has been seen (duplicates, which a
// rejoin without committed offsets re-reads, are counted and not taken for progress).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin as PlatAdmin, Consumer as PlatConsumer, Producer as PlatProducer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaUnavailable, KAFKA_VERSION, startKafkaCluster } from '../kafka/broker.ts';
import { createLogger } from '../lib/log.ts';
import { partitionFor } from '../storage/log/event-log.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, runs: { type: 'string', default: '2' }, json: { type: 'boolean', default: false }, brokers: { type: 'string' } } });
const total = Number(values.records);
const runs = Number(values.runs);
if (!Number.isSafeInteger(total) || total < 1) throw new Error('--records must be a positive integer');
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const say = benchSay('kafka-clients');
const PARTITIONS = 4;
const BATCH = 1_000;
const keys = Array.from({ length: 64 }, (_, i) => `SYM${i}`);
const value = (i: number): Buffer => {
  const b = Buffer.alloc(43);
  b.writeUInt32BE(i, 0);
  return b;
};

const unavailable = kafkaUnavailable();
if (unavailable) {
  say(unavailable);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'tickflow-bench-clients-'));
const cluster = values.brokers ? undefined : await startKafkaCluster({ dir: join(work, 'broker'), logger: createLogger().child({ component: 'bench kafka-clients' }) });
const brokers = values.brokers ? values.brokers.split(',') : cluster!.brokers;

interface Figures {
  produce: number;
  consumeFromStart: number;
  consumeFromFirst: number;
  /** Records delivered more than once before every record was seen (a rejoin re-reads: no offsets are committed). */
  duplicates: number;
}

/** Which sequence numbers (written into the values) the consumer has seen, so a duplicate is not counted as progress. */
class Seen {
  private readonly bits = new Uint8Array(total);
  unique = 0;
  duplicates = 0;
  add(v: Buffer): void {
    const i = v.readUInt32BE(0);
    if (i >= total) throw new Error(`a record with sequence ${i} was never produced`);
    if (this.bits[i]) this.duplicates++;
    else {
      this.bits[i] = 1;
      this.unique++;
    }
  }
  get complete(): boolean {
    return this.unique === total;
  }
}

async function createTopic(topic: string): Promise<void> {
  const admin = new PlatAdmin({ clientId: 'bench-admin', bootstrapBrokers: brokers });
  // Kept forever: time retention counts from the record timestamps (2023 here), as tickflow's topics (D24).
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1, configs: [{ name: 'retention.ms', value: '-1' }] });
  await admin.close();
}

async function withKafkajs(topic: string): Promise<Figures> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: false });
  await producer.connect();
  const t0 = performance.now();
  for (let start = 0; start < total; start += BATCH) {
    const messages = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const key = keys[i % keys.length]!;
      messages.push({ key, value: value(i), partition: partitionFor(key, PARTITIONS), timestamp: String(1_700_000_000_000 + i) });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  const produce = total / ((performance.now() - t0) / 1000);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}-g`, maxWaitTimeInMs: 250 });
  const t1 = performance.now();
  let first = 0;
  const seen = new Seen();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        for (const m of batch.messages) seen.add(m.value!);
        if (seen.complete) resolve();
        return Promise.resolve();
      },
    });
  });
  await done;
  const end = performance.now();
  await consumer.disconnect();
  return { produce, consumeFromStart: total / ((end - t1) / 1000), consumeFromFirst: total / ((end - first) / 1000), duplicates: seen.duplicates };
}

async function withPlatformatic(topic: string): Promise<Figures> {
  const producer = new PlatProducer({ clientId: 'bench-platformatic', bootstrapBrokers: brokers, acks: -1 });
  const t0 = performance.now();
  for (let start = 0; start < total; start += BATCH) {
    const messages = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const key = keys[i % keys.length]!;
      messages.push({ topic, key: Buffer.from(key), value: value(i), partition: partitionFor(key, PARTITIONS), timestamp: BigInt(1_700_000_000_000 + i) });
    }
    await producer.send({ messages, acks: -1 });
  }
  const produce = total / ((performance.now() - t0) / 1000);
  await producer.close();

  const consumer = new PlatConsumer({ groupId: `${topic}-g`, clientId: 'bench-platformatic', bootstrapBrokers: brokers, maxWaitTime: 250 });
  const t1 = performance.now();
  let first = 0;
  const seen = new Seen();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  for await (const m of stream) {
    if (first === 0) first = performance.now();
    seen.add(m.value);
    if (seen.complete) break;
  }
  const end = performance.now();
  await stream.close();
  await consumer.close();
  return { produce, consumeFromStart: total / ((end - t1) / 1000), consumeFromFirst: total / ((end - first) / 1000), duplicates: seen.duplicates };
}

const results: { run: number; client: string; figures: Figures }[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    const order = run % 2 === 1 ? (['kafkajs', 'platformatic'] as const) : (['platformatic', 'kafkajs'] as const);
    for (const client of order) {
      const topic = `bench-${client}-${run}-${Date.now().toString(36)}`;
      await createTopic(topic);
      say(`run ${run}: ${client}, ${total} records to ${topic} on Kafka ${KAFKA_VERSION}`);
      results.push({ run, client, figures: client === 'kafkajs' ? await withKafkajs(topic) : await withPlatformatic(topic) });
    }
  }
} finally {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
}

const round = (x: number): number => Math.round(x);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ kafka: KAFKA_VERSION, records: total, partitions: PARTITIONS, batch: BATCH, results })}\n`);
} else {
  process.stdout.write(`Kafka ${KAFKA_VERSION}, ${total} records of 43 bytes, ${PARTITIONS} partitions, batches of ${BATCH}, acks=all\n`);
  process.stdout.write('run  client        produce/s  consume/s (from start)  consume/s (from first record)  duplicates\n');
  for (const r of results) process.stdout.write(`${String(r.run).padEnd(5)}${r.client.padEnd(14)}${String(round(r.figures.produce)).padStart(9)}  ${String(round(r.figures.consumeFromStart)).padStart(22)}  ${String(round(r.figures.consumeFromFirst)).padStart(29)}  ${String(r.figures.duplicates).padStart(10)}\n`);
  for (const [label, key] of [['produce', 'produce'], ['consume from first record', 'consumeFromFirst']] as const) {
    const ratio = results.filter((r) => r.client === 'platformatic').map((p, i) => p.figures[key] / results.filter((r) => r.client === 'kafkajs')[i]!.figures[key]);
    process.stdout.write(`platformatic / kafkajs, ${label}: ${ratio.map((x) => x.toFixed(2)).join(', ')}\n`);
  }
}
