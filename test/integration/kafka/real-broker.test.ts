/**
 * Tests that need a real Kafka broker (kafka/broker.ts: Apache Kafka from Maven Central, KRaft, on
 * loopback): topic configs, broker timestamp lookups, transactions (`run processors
 * --exactly-once`, a fenced zombie, aborted records never read), and the EventLog contract. The
 * catalogue tests get a broker of their own (they need the catalogue's topics empty); the rest
 * run on the shared one (TICKFLOW_REAL_KAFKA, started by `.ci/run`) with fresh names. The REST
 * Schema Registry still needs Docker (testcontainers): no registry server runs here.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Compatibility } from '@confluentinc/schemaregistry';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { CLOSED_WATERMARK, type Signal } from '../../../schemas/index.ts';
import { TRADE_SCHEMA } from '../../../schemas/trade.ts';
import { TOPIC_LIST } from '../../../schemas/topics.ts';
import { markProgress } from '../../../hosts/group/feed-progress.ts';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import { openKafkaLog, type KafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { openKafkaSchemas } from '../../../storage/kafka/kafka-schemas.ts';
import { partitionFor, type LogRecord } from '../../../storage/log/event-log.ts';
import { valueSubject } from '../../../storage/serde/serde.ts';
import { eventLogContract } from '../../contract/event-log.contract.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { spawnCli, tempDir, type CliResult } from '../../helpers/cli.ts';
import { REAL_KAFKA_ENV, realKafka, type RealKafkaResult } from '../../helpers/kafka-broker.ts';
import { caughtUp, endOffsets, groupLag, readTopic, replayOutputs, signalId, until, watch, type Watched } from './group-helpers.ts';
import { startKafkaContainers } from './kafka-containers.ts';

const { ConfigResourceTypes, ConfigSource } = kafkajs; // CommonJS: not a detected named export
const own = await realKafka({ own: true });
const skip = 'skip' in own ? own.skip : false;
const brokers = 'skip' in own ? [] : own.brokers;
after(() => ('skip' in own ? undefined : own.stop()));
// Without a shared broker, the file's own serves the fresh-name tests too.
const shared: RealKafkaResult = process.env[REAL_KAFKA_ENV] ? await realKafka() : own;
const sharedSkip = 'skip' in shared ? shared.skip : false;
const sharedBrokers = 'skip' in shared ? [] : shared.brokers;

describe('tickflow topics create on a real broker', { skip, timeout: 120_000 }, () => {
  test('creates the catalogue with partitions and retention, and a second run changes nothing', async () => {
    // Both runs in one process (test/helpers/cli-batch.ts): a process start is about 0.6 CPU s.
    const create = ['topics', 'create', '--broker', brokers.join(','), '--replication-factor', '1'];
    const [first, second] = (await runCliBatch([create, create])) as [CliResult, CliResult];
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual([...(first.json['created'] as string[])].sort(), TOPIC_LIST.map((t) => t.name).sort());
    assert.deepEqual(second.json, { created: [], existing: TOPIC_LIST.map((t) => t.name), mismatched: [] });

    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: TOPIC_LIST.map((t) => t.name) });
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: TOPIC_LIST.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: ['retention.ms', 'cleanup.policy', 'message.timestamp.after.max.ms'] })) });
      for (const spec of TOPIC_LIST) {
        assert.equal(meta.topics.find((t) => t.name === spec.name)?.partitions.length, spec.partitions, spec.name);
        const entries = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
        const config = (name: string) => entries.find((e) => e.configName === name)?.configValue;
        assert.equal(Number(config('retention.ms')), spec.retentionMs, spec.name);
        // Set on the topic by `topics create`, not inherited: the test broker's own default is -1 too (kafka/broker.ts).
        assert.equal(entries.find((e) => e.configName === 'retention.ms')?.configSource, ConfigSource.TOPIC_CONFIG, `${spec.name} retention.ms set on the topic`);
        if (spec.kind === 'market') assert.equal(config('retention.ms'), '-1', `${spec.name} keeps everything`);
        assert.equal(config('cleanup.policy'), spec.cleanup, `${spec.name} cleanup.policy`);
        // Kafka 4's default is 1 h (KIP-937): a closed progress marker's timestamp would be refused.
        assert.equal(config('message.timestamp.after.max.ms'), '9223372036854775807', `${spec.name} accepts event-time timestamps`);
      }
    } finally {
      await admin.disconnect();
    }
  });
});

describe('Confluent Schema Registry (REST)', { timeout: 300_000 }, () => {
  let registryUrl = '';
  let registrySkip: string | false = false;
  let stopRegistry: (() => Promise<void>) | undefined;
  before(async () => {
    const started = await startKafkaContainers({ registry: true });
    if ('skip' in started) registrySkip = started.skip;
    else {
      registryUrl = started.registryUrl ?? '';
      stopRegistry = () => started.stop();
    }
  });
  after(() => stopRegistry?.());
  test('catalogue registered under TopicNameStrategy with BACKWARD; an incompatible change is refused', async (t) => {
    if (registrySkip) return t.skip(`no Schema Registry server: ${registrySkip}`);
    const schemas = await openKafkaSchemas({ registryUrl });
    try {
      for (const spec of TOPIC_LIST) {
        assert.equal(await schemas.registry.getCompatibility(valueSubject(spec.name)), Compatibility.BACKWARD);
        assert.equal((await schemas.registry.getLatestSchemaMetadata(valueSubject(spec.name))).id, schemas.serde.schemaIdFor(spec.name));
      }
      const noDefault = { ...TRADE_SCHEMA, fields: [...TRADE_SCHEMA.fields, { name: 'venue', type: 'string' }] };
      await assert.rejects(schemas.registry.register(valueSubject('trades'), { schemaType: 'AVRO', schema: JSON.stringify(noDefault) }, false), (e: unknown) => (e as { status?: number }).status === 409);
      const withDefault = { ...TRADE_SCHEMA, fields: [...TRADE_SCHEMA.fields, { name: 'venue', type: 'string', default: 'UNKNOWN' }] };
      assert.ok((await schemas.registry.register(valueSubject('trades'), { schemaType: 'AVRO', schema: JSON.stringify(withDefault) }, false)) > 0);
    } finally {
      await schemas.close();
    }
  });
});

/**
 * Outputs and input offsets in one transaction per round and partition: a member stopped or
 * killed at any point leaves each signal exactly once for read_committed readers, equal to an
 * embedded replay of the same log with the same model. The mock has no transactions.
 */
describe('run processors --exactly-once on a real broker', { skip, timeout: 600_000 }, () => {
  const broker = brokers.join(',');
  let tmp: ReturnType<typeof tempDir> | undefined;
  let log: string;
  let model: string;
  let middle: number;
  let expected: Signal[];
  let feed: KafkaLog | undefined;
  const members: Watched[] = [];
  after(async () => {
    for (const m of members) m.proc.kill('SIGKILL');
    await feed?.close();
    tmp?.cleanup();
  });

  before(async () => {
    tmp = tempDir('tickflow-eos-');
    log = join(tmp.dir, 'log');
    model = join(tmp.dir, 'model');
    const trainLog = join(tmp.dir, 'train-log');
    // The model is trained on 0.4 days (the smallest history whose dataset leaves train a
    // validation split) of another seed; the members serve 0.15 days (0.1 days made 16 signals,
    // too few): each member processes the whole log, and it was the 0.4 days the model was
    // trained on.
    // Logistic without cross-validation: the members equal the replay for any model (auto
    // fitted four families). All in one process (test/helpers/cli-batch.ts).
    const steps = [
      ['topics', 'create', '--broker', broker, '--replication-factor', '1'],
      ['generate', '--out', trainLog, '--days', '0.4', '--seed', '6'],
      ['replay', 'dataset', '--log', trainLog, '--out', join(tmp.dir, 'dataset.csv')],
      ['train', '--dataset', join(tmp.dir, 'dataset.csv'), '--out', model, '--seed', '1', '--epochs', '2', '--family', 'logistic', '--cv-folds', '0'],
      ['generate', '--out', log, '--days', '0.15', '--seed', '5'],
      ['mirror', '--from', log, '--to', 'kafka', '--broker', broker],
    ];
    const results = await runCliBatch(steps);
    steps.forEach((args, i) => assert.equal(results[i]!.code, 0, `tickflow ${args.join(' ')}\n${results[i]!.stderr}`));
    const served = results[4]!.json;
    middle = Math.floor(((served['firstTs'] as number) + (served['lastTs'] as number)) / 2);
    feed = await openKafkaLog({ brokers });
    expected = (await replayOutputs(log, model)).signals;
    assert.ok(expected.length > 20, `replay signals ${expected.length}`);
  });

  const member = (group: string): Watched => {
    const m = watch(spawnCli(['run', 'processors', '--exactly-once', '--broker', broker, '--model', model, '--group', group, '--session-timeout', '6s', '--quiet', '--allow-ungated']));
    members.push(m);
    return m;
  };
  // A member whose wait failed is killed at once: left running, it went on writing signals into
  // the next test's range (a caught-up timeout at load 45 was followed by "a signal id appears
  // twice" in the next test, from the first test's member).
  const whileAlive = (m: Watched, wait: Promise<void>): Promise<void> =>
    Promise.race([wait, m.exited.then((code) => assert.fail(`run processors exited (${code}) early\n${m.stderr}`))]).catch(async (e: unknown) => {
      m.proc.kill('SIGKILL');
      await m.exited;
      throw e;
    });
  const stop = async (m: Watched): Promise<void> => {
    m.proc.kill('SIGTERM');
    assert.equal(await m.exited, 0, m.stderr);
  };
  /** A progress source of the test's own: processors go no further than its watermark. */
  const hold = (watermark: number): Promise<void> => markProgress(feed!.log, (t, v) => feed!.serde.encode(t, v), 'test-hold', watermark);
  const assertSignalsEqualReplay = async (from: number[]): Promise<void> => {
    const { byPartition, duplicateIds } = await readTopic(brokers, 'signals', signalId, from);
    assert.deepEqual(duplicateIds, [], 'a signal id appears twice');
    byPartition.forEach((got, p) => assert.deepEqual(got, expected.filter((s) => partitionFor(s.symbol, byPartition.length) === p), `signals partition ${p}`));
  };

  test('one member until it caught up, then SIGTERM: every signal once, equal to the replay', async () => {
    const from = await endOffsets(brokers, 'signals');
    const m = member('tickflow-processors');
    await whileAlive(m, caughtUp(brokers, 'tickflow-processors'));
    await stop(m);
    await assertSignalsEqualReplay(from);
  });

  test('SIGKILLed mid-way, then run again in the same group: no signal twice, equal to the replay', async () => {
    const from = await endOffsets(brokers, 'signals');
    // Past the warm-up first: the rounds after it make signals.
    const start = expected[0]!.tsInit;
    await hold(start);
    const first = member('eos-killed');
    await whileAlive(first, until(async () => (await groupLag(brokers, 'eos-killed')).committed > 0, 120_000, 'a first commit'));
    // Then the bound steps a minute of event time at a time, faster than the member follows: it is
    // busy with small rounds, each its own transaction, when SIGKILLed, likely inside one (left
    // open; the next owner's producer fences it and aborts it).
    for (let w = start; w < middle; w += 60_000) await hold(w);
    first.proc.kill('SIGKILL');
    await first.exited;
    const lag = await groupLag(brokers, 'eos-killed');
    assert.ok(lag.committed > 0 && lag.lag > 0, `killed mid-way: ${JSON.stringify(lag)}`);
    await hold(CLOSED_WATERMARK);
    const second = member('eos-killed');
    await whileAlive(second, caughtUp(brokers, 'eos-killed'));
    await stop(second);
    await assertSignalsEqualReplay(from);
  });
});

/**
 * Kafka's transactions as tickflow's reads see them: a producer fenced by a newer one with its
 * transactional id cannot commit, and the records of aborted transactions (the zombie's, and one
 * aborted on purpose) are never returned by `KafkaEventLog.read`, which fetches READ_COMMITTED and
 * drops aborted records itself (the broker still sends them).
 */
describe('transactions on a real broker', { skip: sharedSkip, timeout: 120_000 }, () => {
  test('a zombie fenced by its transactional id cannot commit; aborted records are never read', async () => {
    const topic = `tx-${process.pid}-${Date.now()}`;
    const kafka = new Kafka({ brokers: sharedBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = () => kafka.producer({ transactionalId: `${topic}-p`, idempotent: true, maxInFlightRequests: 1 });
    const send = (tx: kafkajs.Transaction, values: string[]) => tx.send({ topic, messages: values.map((v) => ({ key: 'k', value: v, partition: 0 })) });

    const zombie = producer();
    await zombie.connect();
    const committed = await zombie.transaction();
    await send(committed, ['a1', 'a2']);
    await committed.commit();
    const aborted = await zombie.transaction();
    await send(aborted, ['b1', 'b2']);
    await aborted.abort();
    const open = await zombie.transaction();
    await send(open, ['z1']);

    // Same transactional id: the successor's InitProducerId (kafkajs sends it on its first
    // transaction) bumps the epoch and aborts the zombie's open transaction.
    const successor = producer();
    await successor.connect();
    const next = await successor.transaction();
    await assert.rejects(open.commit(), (e: Error) => /fenced|epoch/i.test(`${e.name} ${e.message}`), 'the zombie must not commit');
    await send(next, ['c1']);
    await next.commit();
    await successor.disconnect();
    await zombie.disconnect().catch(() => undefined);

    const log = await KafkaEventLog.connect({ brokers: sharedBrokers });
    try {
      const read: LogRecord[] = [];
      for await (const batch of log.read(topic, 0)) read.push(...batch);
      assert.deepEqual(read.map((r) => Buffer.from(r.value).toString()), ['a1', 'a2', 'c1']);
      // Aborted records and transaction markers hold offsets: the partition holds more than was read.
      assert.ok((await log.endOffset(topic, 0)) > read.length + 3, `end offset ${await log.endOffset(topic, 0)}`);
    } finally {
      await log.close();
    }
  });
});

// The real broker answers ListOffsets(timestamp) itself (timeLookup 'broker'), unlike the mock.
if (sharedSkip) {
  describe('EventLog contract: Kafka (real broker)', { skip: sharedSkip }, () => {});
} else {
  eventLogContract('Kafka (real broker)', async () => {
    const log = await KafkaEventLog.connect({ brokers: sharedBrokers, timeLookup: 'broker' });
    return { log, cleanup: () => log.close() };
  });
}
