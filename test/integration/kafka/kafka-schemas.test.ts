import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Compatibility, MockClient } from '@confluentinc/schemaregistry';
import { TRADE_SCHEMA, type Trade } from '../../../schemas/trade.ts';
import { TOPIC_LIST } from '../../../schemas/topics.ts';
import { openKafkaSchemas, registerCatalogue } from '../../../storage/kafka/kafka-schemas.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { isCompatible } from '../../../storage/serde/avro-compatibility.ts';
import { DecodeError } from '../../../storage/serde/serde-error.ts';
import { Serde, valueSubject } from '../../../storage/serde/serde.ts';

const trade: Trade = { tsEvent: 1_700_000_000_123, tsInit: 1_700_000_000_456, symbol: 'AAPL', price: 189.25, size: 100, side: 'BUY', tradeId: 42 };

/** Trade with one added field that has a default: the evolution Schema Registry's BACKWARD allows. */
const TRADE_V2 = { ...TRADE_SCHEMA, fields: [...TRADE_SCHEMA.fields, { name: 'venue', type: 'string', default: 'UNKNOWN' }] };

/** avsc decodes into instances of generated record classes; compare their fields. */
const plain = (v: unknown): unknown => ({ ...(v as object) });

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-kafka-schemas-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('Kafka serde without a Schema Registry', () => {
  test('catalogue ids equal the embedded log ids, persist across reopen, and bytes are interchangeable', async () => {
    const a = tempDir();
    const b = tempDir();
    try {
      const kafka = await openKafkaSchemas({ schemaDir: a.dir });
      const embedded = await openEmbeddedLog(b.dir);
      const ids = TOPIC_LIST.map((t) => kafka.serde.schemaIdFor(t.name));
      assert.deepEqual(ids, TOPIC_LIST.map((t) => embedded.serde.schemaIdFor(t.name)));
      const bytes = kafka.serde.encode('trades', trade);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(embedded.serde.encode('trades', trade)));
      assert.deepEqual(plain(embedded.serde.decodeAs('trades', bytes)), trade);
      await Promise.all([kafka.close(), embedded.close()]);
      const reopened = await openKafkaSchemas({ schemaDir: a.dir });
      assert.deepEqual(TOPIC_LIST.map((t) => reopened.serde.schemaIdFor(t.name)), ids);
      assert.deepEqual(plain(reopened.serde.decodeAs('trades', bytes)), trade);
      await reopened.close();
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});

describe('Schema Registry logic on the library MockClient', () => {
  test('registerCatalogue: TopicNameStrategy subjects, BACKWARD per subject, explicit schemas', async () => {
    const client = new MockClient();
    const serde = await registerCatalogue(client);
    for (const spec of TOPIC_LIST) {
      const subject = valueSubject(spec.name);
      assert.equal(await client.getCompatibility(subject), Compatibility.BACKWARD, subject);
      const latest = await client.getLatestSchemaMetadata(subject);
      assert.equal(latest.id, serde.schemaIdFor(spec.name));
      // The registered schema is the catalogue's, not one inferred from a value.
      assert.deepEqual(JSON.parse(latest.schema), JSON.parse(JSON.stringify(spec.schema)));
    }
    // Epoch-ms longs survive (an inferred schema would map them to float).
    assert.deepEqual(plain(serde.decodeAs('trades', serde.encode('trades', trade))), trade);
  });

  test('evolution: add a field with a default; old reader reads new records, new reader reads old', async () => {
    const client = new MockClient();
    const oldSerde = await registerCatalogue(client);
    const oldBytes = oldSerde.encode('trades', trade);

    const v2 = JSON.stringify(TRADE_V2);
    const v1 = JSON.stringify(TRADE_SCHEMA);
    // The registry would accept it under BACKWARD; a field without a default would be refused.
    assert.equal(isCompatible(Compatibility.BACKWARD, v2, [v1]), true);
    const noDefault = { ...TRADE_SCHEMA, fields: [...TRADE_SCHEMA.fields, { name: 'venue', type: 'string' }] };
    assert.equal(isCompatible(Compatibility.BACKWARD, JSON.stringify(noDefault), [v1]), false);

    const newSerde = new Serde(client);
    const newId = await newSerde.registerTopic('trades', TRADE_V2);
    await newSerde.loadSchema(oldSerde.schemaIdFor('trades'));
    assert.notEqual(newId, oldSerde.schemaIdFor('trades'));
    const newBytes = newSerde.encode('trades', { ...trade, tradeId: 43, venue: 'XNAS' });

    // New reader, old record: the added field takes its default.
    assert.deepEqual(plain(newSerde.decodeAs('trades', oldBytes)), { ...trade, venue: 'UNKNOWN' });
    // Old reader, new record: unknown id first (retriable), then resolved into the old shape.
    assert.throws(() => oldSerde.decodeAs('trades', newBytes), (e: unknown) => e instanceof DecodeError && e.retriable);
    await oldSerde.loadSchema(newId);
    assert.deepEqual(plain(oldSerde.decodeAs('trades', newBytes)), { ...trade, tradeId: 43 });
  });
});
