import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import type { Compatibility } from '@confluentinc/schemaregistry';
import { TRADE_SCHEMA } from '../../../schemas/trade.ts';
import { LmdbSchemaRegistry } from '../../../storage/serde/lmdb-schema-registry.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-registry-'));
  dirs.push(dir);
  return dir;
};
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const avro = (schema: object) => ({ schemaType: 'AVRO', schema: JSON.stringify(schema) });
const V1 = { type: 'record', name: 'Quote', namespace: 't', fields: [{ name: 'px', type: 'double' }] };
const V2 = { ...V1, fields: [...V1.fields, { name: 'venue', type: 'string', default: '' }] }; // adds a defaulted field: BACKWARD ok
const V3 = { ...V1, fields: [...V1.fields, { name: 'size', type: 'double' }] }; // adds a field without default: not BACKWARD
const is404 = (e: unknown) => e instanceof RestError && e.status === 404;

test('register: same schema same id, evolution gets a new id and version, incompatible is refused', async () => {
  const r = await LmdbSchemaRegistry.open(await tempDir());
  const id1 = await r.register('quotes-value', avro(V1), false);
  // Whitespace does not change the schema.
  assert.equal(await r.register('quotes-value', { schemaType: 'AVRO', schema: JSON.stringify(V1, null, 2) }, false), id1);
  const id2 = await r.register('quotes-value', avro(V2), false);
  assert.notEqual(id2, id1);
  assert.deepEqual(await r.getAllVersions('quotes-value'), [1, 2]);
  await assert.rejects(r.register('quotes-value', avro(V3), false), (e: unknown) => e instanceof RestError && e.status === 409);
  assert.equal(await r.testSubjectCompatibility('quotes-value', avro(V3)), false);
  assert.equal(await r.testSubjectCompatibility('quotes-value', avro({ ...V2, doc: 'same fields' })), true);
  assert.deepEqual(await r.getAllVersions('quotes-value'), [1, 2], 'a refused schema adds no version');

  const latest = await r.getLatestSchemaMetadata('quotes-value');
  assert.equal(latest.id, id2);
  assert.equal(latest.version, 2);
  assert.deepEqual(JSON.parse(latest.schema), V2);
  assert.equal((await r.getSchemaMetadata('quotes-value', 1, false)).id, id1);
  assert.equal(await r.getVersion('quotes-value', avro(V1), false, false), 1);
  assert.equal(await r.getId('quotes-value', avro(V2), false), id2);
  assert.deepEqual(JSON.parse((await r.getBySubjectAndId('quotes-value', id1)).schema), V1);
  await assert.rejects(r.getBySubjectAndId('quotes-value', 999), is404);
  await assert.rejects(r.getId('other-value', avro(V1), false), is404);
  await assert.rejects(r.getLatestSchemaMetadata('nope-value'), is404);

  // Same schema under another subject: Confluent reuses the id, the subject gets its own version 1.
  assert.equal(await r.register('quotes2-value', avro(V1), false), id1);
  assert.equal(await r.getVersion('quotes2-value', avro(V1), false, false), 1);
  assert.deepEqual(await r.getAllSubjects(), ['quotes-value', 'quotes2-value']);

  // With compatibility NONE anything goes.
  await r.updateCompatibility('quotes-value', 'NONE' as Compatibility);
  assert.equal(await r.getCompatibility('quotes-value'), 'NONE');
  assert.equal(typeof (await r.register('quotes-value', avro(V3), false)), 'number');
  await r.close();
});

test('the registry persists: ids and versions survive a restart; deleted subjects keep ids resolvable', async () => {
  const dir = await tempDir();
  let r = await LmdbSchemaRegistry.open(dir);
  const tradeId = await r.register('trades-value', avro(TRADE_SCHEMA), false);
  const quoteId = await r.register('quotes-value', avro(V1), false);
  await r.close();

  r = await LmdbSchemaRegistry.open(dir);
  assert.equal(await r.register('trades-value', avro(TRADE_SCHEMA), false), tradeId, 're-registering after restart keeps the id');
  assert.equal((await r.getLatestSchemaMetadata('quotes-value')).id, quoteId);
  const next = await r.register('new-value', avro({ type: 'record', name: 'N', fields: [] }), false);
  assert.ok(next > Math.max(tradeId, quoteId), 'ids are never reused');

  assert.deepEqual(await r.deleteSubject('quotes-value', false), [1]);
  assert.deepEqual(await r.getAllSubjects(), ['new-value', 'trades-value']);
  assert.deepEqual(JSON.parse((await r.getBySubjectAndId('', quoteId)).schema), V1, 'old records still decode');
  await r.close();
});

test('only AVRO schemas, valid ones; cloud-only operations fail clearly', async () => {
  const r = await LmdbSchemaRegistry.open(await tempDir());
  await assert.rejects(r.register('x-value', { schemaType: 'JSON', schema: '{}' }, false), /AVRO schemas only/);
  await assert.rejects(r.register('x-value', { schema: '{"type": "record"' }, false), (e: unknown) => e instanceof RestError && e.status === 422);
  await assert.rejects(r.register('x-value', avro({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'nope' }] }), false), /Invalid schema/);
  await assert.rejects(r.createAssociation({}), /TopicNameStrategy/);
  assert.deepEqual(await r.getAssociationsByResourceName('t', '-', 'topic', ['value'], null, 0, -1), []);
  await r.close();
});
