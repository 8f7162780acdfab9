/**
 * Tests that need a real broker and Schema Registry (testcontainers, images from
 * docker-compose.yml): topic configs, the REST registry, broker timestamp lookups, transactions
 * (`run processors --exactly-once`). They skip with a message where no Docker engine answers, as
 * on the build machines; the librdkafka mock covers the rest (see the other files here).
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
import { partitionFor } from '../../../storage/log/event-log.ts';
import { valueSubject } from '../../../storage/serde/serde.ts';
import { eventLogContract } from '../../contract/event-log.contract.ts';
import { runCli, spawnCli, tempDir } from '../../helpers/cli.ts';
import { caughtUp, endOffsets, groupLag, readTopic, replayOutputs, signalId, until, watch, type Watched } from './group-helpers.ts';
import { startKafkaContainers } from './kafka-containers.ts';

const { ConfigResourceTypes } = kafkajs; // CommonJS: not a detected named export
const started = await startKafkaContainers({ registry: true });
const skip = 'skip' in started ? started.skip : false;
const brokers = 'skip' in started ? [] : started.brokers;
const registryUrl = 'skip' in started ? '' : (started.registryUrl ?? '');
after(() => ('skip' in started ? undefined : started.stop()));

describe('tickflow topics create on a real broker', { skip, timeout: 120_000 }, () => {
  test('creates the catalogue with partitions and retention, and a second run changes nothing', async () => {
    const first = await runCli(['topics', 'create', '--broker', brokers.join(','), '--replication-factor', '1']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual([...(first.json['created'] as string[])].sort(), TOPIC_LIST.map((t) => t.name).sort());
    const second = await runCli(['topics', 'create', '--broker', brokers.join(','), '--replication-factor', '1']);
    assert.deepEqual(second.json, { created: [], existing: TOPIC_LIST.map((t) => t.name), mismatched: [] });

    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: TOPIC_LIST.map((t) => t.name) });
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: TOPIC_LIST.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: ['retention.ms', 'cleanup.policy'] })) });
      for (const spec of TOPIC_LIST) {
        assert.equal(meta.topics.find((t) => t.name === spec.name)?.partitions.length, spec.partitions, spec.name);
        const entries = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
        const config = (name: string) => entries.find((e) => e.configName === name)?.configValue;
        assert.equal(Number(config('retention.ms')), spec.retentionMs, spec.name);
        if (spec.kind === 'market') assert.equal(config('retention.ms'), '-1', `${spec.name} keeps everything`);
        assert.equal(config('cleanup.policy'), spec.cleanup, `${spec.name} cleanup.policy`);
      }
    } finally {
      await admin.disconnect();
    }
  });
});

describe('Confluent Schema Registry (REST)', { skip, timeout: 120_000 }, () => {
  test('catalogue registered under TopicNameStrategy with BACKWARD; an incompatible change is refused', async () => {
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
describe('run processors --exactly-once on a real broker', { skip: skip && `${skip}; --exactly-once needs Kafka transactions, which the librdkafka mock lacks`, timeout: 600_000 }, () => {
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
    // 0.4 days: the smallest history whose dataset leaves train a validation split.
    const steps = [
      ['topics', 'create', '--broker', broker, '--replication-factor', '1'],
      ['generate', '--out', log, '--days', '0.4', '--seed', '5'],
      ['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'dataset.csv')],
      ['train', '--dataset', join(tmp.dir, 'dataset.csv'), '--out', model, '--seed', '1', '--epochs', '2'],
      ['mirror', '--from', log, '--to', 'kafka', '--broker', broker],
    ];
    for (const args of steps) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `tickflow ${args.join(' ')}\n${r.stderr}`);
      if (args[0] === 'generate') middle = Math.floor(((r.json['firstTs'] as number) + (r.json['lastTs'] as number)) / 2);
    }
    feed = await openKafkaLog({ brokers });
    expected = (await replayOutputs(log, model)).signals;
    assert.ok(expected.length > 20, `replay signals ${expected.length}`);
  });

  const member = (group: string): Watched => {
    const m = watch(spawnCli(['run', 'processors', '--exactly-once', '--broker', broker, '--model', model, '--group', group, '--session-timeout', '6s', '--quiet']));
    members.push(m);
    return m;
  };
  const whileAlive = (m: Watched, wait: Promise<void>): Promise<void> =>
    Promise.race([wait, m.exited.then((code) => assert.fail(`run processors exited (${code}) early\n${m.stderr}`))]);
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

// The real broker answers ListOffsets(timestamp) itself (timeLookup 'broker'), unlike the mock.
if (skip) {
  describe('EventLog contract: Kafka (real broker)', { skip }, () => {});
} else {
  eventLogContract('Kafka (real broker)', async () => {
    const log = await KafkaEventLog.connect({ brokers, timeLookup: 'broker' });
    return { log, cleanup: () => log.close() };
  });
}
