import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import avro from 'avsc';
import { SIGNAL_SCHEMA, SIGNAL_SCHEMA_V1, SIGNAL_SCHEMA_V2, SIGNAL_SCHEMA_V3, type Signal } from '../../../schemas/index.ts';
import { isCompatible } from '../../../storage/serde/avro-compatibility.ts';
import { LmdbSchemaRegistry } from '../../../storage/serde/lmdb-schema-registry.ts';
import { Serde } from '../../../storage/serde/serde.ts';
import { sameRecorded } from '../../../research/verify.ts';
import { RecordedOutputs, toCurrentSchema } from '../../../hosts/log-sink.ts';

/** avsc decodes records as instances of generated classes; compare their plain data. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

const old: Signal = {
  id: 'a1b2', tsEvent: 1_700_000_300_000, tsInit: 1_700_000_300_004, symbol: 'BTC', interval: '5m', barEnd: 1_700_000_300_000,
  pUp: 0.52, pFlat: 0.3, pDown: 0.18, action: 'BUY', confidence: 0.52, modelId: '0123456789abcdef', featureSetHash: 'fs1',
  inputs: [{ topic: 'trades', partition: 0, fromOffset: 10, toOffset: 99 }],
};
// Defaults of the fields added since v1: the heads' (D31), then the decision policy's (D34), then the
// contract (D52), then the confluence timeframe views (D58).
const DEFAULTS = { expectedReturn: null, q10: null, q50: null, q90: null, contributions: [], size: null, stop: null, target: null, expiresAt: null, reason: null, contract: null, timeframes: [] };
const POLICY_DEFAULTS = { size: null, stop: null, target: null, expiresAt: null, reason: null, contract: null, timeframes: [] };
const withHeads: Signal = { ...old, expectedReturn: 0.0012, q10: -0.004, q50: 0.001, q90: 0.0065, contributions: [{ feature: 'ret_1', value: 0.7 }, { feature: 'rsi_14', value: -0.2 }] };

test('the new Signal schema is a compatible evolution of the old one, both ways (FULL)', () => {
  const [n, o] = [JSON.stringify(SIGNAL_SCHEMA), JSON.stringify(SIGNAL_SCHEMA_V1)];
  assert.ok(isCompatible('FULL' as never, n, [o]));
  // The new fields come last, so the old fields keep their positions in the encoding.
  assert.deepEqual(SIGNAL_SCHEMA.fields.slice(0, SIGNAL_SCHEMA_V1.fields.length), SIGNAL_SCHEMA_V1.fields);
});

test('a log written with the old Signal schema replays with the new reader to identical signals', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-signal-evolution-'));
  const registry = await LmdbSchemaRegistry.open(dir);
  try {
    // A log written before: the signals topic registered with the old schema.
    const before = new Serde(registry);
    const oldId = await before.registerTopic('signals', SIGNAL_SCHEMA_V1);
    const recorded = before.encode('signals', old);

    // Today's build opens the same registry: the new schema is a new version (BACKWARD holds).
    const now = new Serde(registry);
    const newId = await now.registerTopic('signals', SIGNAL_SCHEMA);
    await now.loadAll();
    assert.notEqual(newId, oldId);
    const read = plain(now.decodeAs<Signal>('signals', recorded));
    assert.deepEqual(read, { ...old, ...DEFAULTS });
    // The signal that replay computes for a model without heads (fields left out) encodes to the
    // bytes of the recorded one read into the new schema: the comparison verify makes.
    assert.deepEqual(now.encode('signals', old), now.encode('signals', read as Signal));
    // verify's comparison: the recorded v1 bytes match the replay's v2 bytes of the same signal, not another one.
    const decode = (t: string, b: Uint8Array) => now.decodeAs(t, b);
    const encode = (t: string, v: object) => now.encode(t, v);
    assert.ok(sameRecorded(recorded, now.encode('signals', old), decode, encode));
    assert.ok(!sameRecorded(recorded, now.encode('signals', { ...old, pUp: 0.5200000000000001 }), decode, encode));
    assert.ok(!sameRecorded(recorded, now.encode('signals', withHeads), decode, encode), 'a replay with heads is not the recorded signal');
    // A restart after the upgrade recognises the recorded v1 signal as the v2 output the graph
    // produces again (resume by content), instead of appending it a second time.
    const normalize = toCurrentSchema(encode, decode);
    const recordedOutputs = new RecordedOutputs();
    recordedOutputs.add('signals', normalize('signals', recorded));
    assert.ok(recordedOutputs.take('signals', now.encode('signals', old)));
    const current = now.encode('signals', withHeads);
    assert.equal(normalize('signals', current), current, 'a record under the current id passes untouched');
    // The old fields decode bit for bit (doubles included).
    for (const k of ['pUp', 'pFlat', 'pDown', 'confidence', 'tsInit'] as const) assert.ok(Object.is((read as Signal)[k], old[k]));
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a consumer of the old schema reads new signals (the added fields are skipped)', () => {
  const writer = avro.Type.forSchema(SIGNAL_SCHEMA as unknown as avro.Schema);
  const reader = avro.Type.forSchema(SIGNAL_SCHEMA_V1 as unknown as avro.Schema);
  const bytes = writer.toBuffer(withHeads);
  assert.deepEqual(plain(reader.fromBuffer(bytes, reader.createResolver(writer))), old);
  // And the new reader reads them whole (the policy fields, not set, read as their defaults).
  assert.deepEqual(plain(writer.fromBuffer(bytes)), { ...withHeads, ...POLICY_DEFAULTS });
});

test('added fields cost twelve bytes when empty (four null unions and one empty array of the heads, five null unions of the policy, one null union of the contract, one empty array of timeframe views)', () => {
  const a = avro.Type.forSchema(SIGNAL_SCHEMA_V1 as unknown as avro.Schema).toBuffer(old);
  const b = avro.Type.forSchema(SIGNAL_SCHEMA as unknown as avro.Schema).toBuffer(old);
  assert.equal(b.length, a.length + 12);
  assert.deepEqual(b.subarray(0, a.length), a);
  assert.deepEqual([...b.subarray(a.length)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

// A signal of a policy model as written before the contract (schema V2), and the same with a contract.
const withPolicy: Signal = { ...withHeads, size: 0.4, stop: 99.5, target: 101.2, expiresAt: 1_700_002_100_000, reason: null };
const withContract: Signal = { ...withPolicy, contract: { underlying: 'BTC', expiry: 1_700_086_400_000, strike: 60_000, right: 'CALL', premium: 1234.5, premiumSource: 'MID', iv: 0.52, chainAt: 1_700_000_240_000 } };

test('the contract is a FULL-compatible evolution of V2, appended last; the timeframe views one of V3', () => {
  assert.ok(isCompatible('FULL' as never, JSON.stringify(SIGNAL_SCHEMA_V3), [JSON.stringify(SIGNAL_SCHEMA_V2)]));
  assert.deepEqual(SIGNAL_SCHEMA_V3.fields.slice(0, SIGNAL_SCHEMA_V2.fields.length), SIGNAL_SCHEMA_V2.fields);
  assert.equal(SIGNAL_SCHEMA_V3.fields.length, SIGNAL_SCHEMA_V2.fields.length + 1);
  assert.ok(isCompatible('FULL' as never, JSON.stringify(SIGNAL_SCHEMA), [JSON.stringify(SIGNAL_SCHEMA_V3)]));
  assert.deepEqual(SIGNAL_SCHEMA.fields.slice(0, SIGNAL_SCHEMA_V3.fields.length), SIGNAL_SCHEMA_V3.fields);
  assert.equal(SIGNAL_SCHEMA.fields.length, SIGNAL_SCHEMA_V3.fields.length + 1);
});

test('a log written with the V2 Signal schema (policy, no contract) replays byte for byte with the new reader', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-signal-evolution-v2-'));
  const registry = await LmdbSchemaRegistry.open(dir);
  try {
    const before = new Serde(registry);
    await before.registerTopic('signals', SIGNAL_SCHEMA_V2);
    const recorded = before.encode('signals', withPolicy);
    const now = new Serde(registry);
    await now.registerTopic('signals', SIGNAL_SCHEMA);
    await now.loadAll();
    const read = plain(now.decodeAs<Signal>('signals', recorded));
    assert.deepEqual(read, { ...withPolicy, contract: null, timeframes: [] });
    const decode = (t: string, b: Uint8Array) => now.decodeAs(t, b);
    const encode = (t: string, v: object) => now.encode(t, v);
    // The replay of a model without a contract rule leaves the field out: the same signal.
    assert.ok(sameRecorded(recorded, now.encode('signals', withPolicy), decode, encode));
    assert.ok(!sameRecorded(recorded, now.encode('signals', withContract), decode, encode), 'a replay naming a contract is not the recorded signal');
    const normalize = toCurrentSchema(encode, decode);
    assert.deepEqual(normalize('signals', recorded), now.encode('signals', withPolicy));
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a contract round-trips exactly, and a V2 consumer skips it', () => {
  const writer = avro.Type.forSchema(SIGNAL_SCHEMA as unknown as avro.Schema);
  const bytes = writer.toBuffer(withContract);
  assert.deepEqual(plain(writer.fromBuffer(bytes)), { ...withContract, timeframes: [] });
  const v2 = avro.Type.forSchema(SIGNAL_SCHEMA_V2 as unknown as avro.Schema);
  assert.deepEqual(plain(v2.fromBuffer(bytes, v2.createResolver(writer))), withPolicy);
  // A contract without IV encodes its null.
  const noIv = { ...withContract, contract: { ...withContract.contract!, iv: null } };
  assert.deepEqual(plain(writer.fromBuffer(writer.toBuffer(noIv))), { ...noIv, timeframes: [] });
});
