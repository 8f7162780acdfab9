import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AvroDeserializer, AvroSerializer, MockClient, SerdeType, type Client } from '@confluentinc/schemaregistry';
import { TRADE_SCHEMA, type Trade } from '../../../schemas/trade.ts';
import { LmdbSchemaRegistry } from '../../../storage/serde/lmdb-schema-registry.ts';
import { Serde } from '../../../storage/serde/serde.ts';

// The epoch-ms timestamp that the library's schema inference corrupts (ENVIRONMENT.md).
const trade: Trade = { tsEvent: 1_700_000_000_123, tsInit: 1_700_000_000_456, symbol: 'MSFT', price: 412.5, size: 3, side: 'BUY', tradeId: 77 };

async function checkBothDirections(client: Client): Promise<void> {
  const serde = new Serde(client);
  await serde.registerTopic('trades', TRADE_SCHEMA);

  // Library decodes ours.
  const ours = serde.encode('trades', trade);
  const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
  assert.deepEqual({ ...(await deserializer.deserialize('trades', Buffer.from(ours))) }, trade);

  // Ours decodes the library's, written against the registered schema (no inference).
  const serializer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false });
  const theirs = await serializer.serialize('trades', trade);
  const decoded = serde.decode(theirs);
  assert.equal(decoded.schemaId, serde.schemaIdFor('trades'));
  assert.deepEqual({ ...(decoded.value as Trade) }, trade);
  assert.equal((decoded.value as Trade).tsEvent, 1_700_000_000_123);

  // Same schema, same value: the very same bytes.
  assert.deepEqual(Buffer.from(ours), theirs);
}

test('wire compatible with @confluentinc/schemaregistry serializers over the embedded registry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-wire-'));
  const registry = await LmdbSchemaRegistry.open(dir);
  try {
    await checkBothDirections(registry);
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("wire compatible with the library's serializers over its own MockClient", async () => {
  await checkBothDirections(new MockClient());
});
