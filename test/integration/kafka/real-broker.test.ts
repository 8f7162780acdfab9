/**
 * Tests that need a real broker and Schema Registry (testcontainers, images from
 * docker-compose.yml). They skip with a message where no Docker engine answers, as on the build
 * machines; the librdkafka mock covers the rest (see the other files here).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Compatibility } from '@confluentinc/schemaregistry';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { TRADE_SCHEMA } from '../../../schemas/trade.ts';
import { TOPIC_LIST } from '../../../schemas/topics.ts';
import { KafkaEventLog } from '../../../streams/kafka/kafka-event-log.ts';
import { openKafkaSchemas } from '../../../streams/kafka/kafka-schemas.ts';
import { valueSubject } from '../../../streams/serde/serde.ts';
import { eventLogContract } from '../../contract/event-log.contract.ts';
import { runCli } from '../../helpers/cli.ts';
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
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: TOPIC_LIST.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: ['retention.ms'] })) });
      for (const spec of TOPIC_LIST) {
        assert.equal(meta.topics.find((t) => t.name === spec.name)?.partitions.length, spec.partitions, spec.name);
        const retention = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries[0]?.configValue;
        assert.equal(Number(retention), spec.retentionMs, spec.name);
        if (spec.kind === 'market') assert.equal(retention, '-1', `${spec.name} keeps everything`);
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

// The real broker answers ListOffsets(timestamp) itself (timeLookup 'broker'), unlike the mock.
if (skip) {
  describe('EventLog contract: Kafka (real broker)', { skip }, () => {});
} else {
  eventLogContract('Kafka (real broker)', async () => {
    const log = await KafkaEventLog.connect({ brokers, timeLookup: 'broker' });
    return { log, cleanup: () => log.close() };
  });
}
