import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import avro from 'avsc';
import { RecordedOutputs, toCurrentSchema } from '../../../hosts/log-sink.ts';
import { sameRecorded } from '../../../research/verify.ts';
import { MODEL_HEALTH_SCHEMA, MODEL_HEALTH_SCHEMA_V1, type HealthBand, type ModelHealth } from '../../../schemas/index.ts';
import { isCompatible } from '../../../storage/serde/avro-compatibility.ts';
import { LmdbSchemaRegistry } from '../../../storage/serde/lmdb-schema-registry.ts';
import { Serde } from '../../../storage/serde/serde.ts';

/** avsc decodes records as instances of generated classes; compare their plain data. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

const TOPIC = 'model-health';
/** A report as the graph wrote it before the per-band field (v1). */
const old: ModelHealth = {
  symbol: 'BTC', tsEvent: 1_700_000_300_000, tsInit: 1_700_000_300_004, modelId: '0123456789abcdef', vectors: 2100, window: 2016,
  psiMax: 0.0712, psiFeature: 'rsi_14', driftedFeatures: [], matured: 576, hitRate: 0.4305555555555556, hitRateUpper: 0.4785,
  expectedHitRateLo: 0.39, expectedHitRateHi: 0.47, meanConfidence: 0.47, calibrationGap: 0.0394, retrain: false, priority: null, reason: null,
};
const band = (from: number, to: number, matured: number, hits: number): HealthBand => ({
  from, to, matured, hits, hitRate: matured === 0 ? null : hits / matured, ci95Lo: matured === 0 ? null : 0.1, ci95Hi: matured === 0 ? null : 0.9,
  validationCount: 300, validationHitRate: 0.45, validationCi95Lo: 0.39, validationCi95Hi: 0.51, smallSample: matured < 30, difference: matured < 30 ? null : 'same',
});
/** The same report computed today from the same log, for a model whose manifest has confidence bands. */
const now: ModelHealth = { ...old, bands: [band(1 / 3, 0.4, 300, 120), band(0.4, 0.5, 276, 128), band(0.5, 0.6, 0, 0)] };

test('the ModelHealth schema with bands is a FULL-compatible evolution of v1, the field appended last', () => {
  assert.ok(isCompatible('FULL' as never, JSON.stringify(MODEL_HEALTH_SCHEMA), [JSON.stringify(MODEL_HEALTH_SCHEMA_V1)]));
  assert.deepEqual(MODEL_HEALTH_SCHEMA.fields.slice(0, MODEL_HEALTH_SCHEMA_V1.fields.length), MODEL_HEALTH_SCHEMA_V1.fields);
  assert.equal(MODEL_HEALTH_SCHEMA.fields.length, MODEL_HEALTH_SCHEMA_V1.fields.length + 1);
});

test('a report without bands costs one byte more (a null union) and keeps the v1 bytes in front', () => {
  const a = avro.Type.forSchema(MODEL_HEALTH_SCHEMA_V1 as unknown as avro.Schema).toBuffer(old);
  const b = avro.Type.forSchema(MODEL_HEALTH_SCHEMA as unknown as avro.Schema).toBuffer(old);
  assert.equal(b.length, a.length + 1);
  assert.deepEqual(b.subarray(0, a.length), a);
  assert.equal(b[a.length], 0);
});

test('an old reader reads new reports (bands skipped); the new reader reads them whole and old ones with bands null', () => {
  const writer = avro.Type.forSchema(MODEL_HEALTH_SCHEMA as unknown as avro.Schema);
  const v1 = avro.Type.forSchema(MODEL_HEALTH_SCHEMA_V1 as unknown as avro.Schema);
  const bytes = writer.toBuffer(now);
  assert.deepEqual(plain(v1.fromBuffer(bytes, v1.createResolver(writer))), old);
  assert.deepEqual(plain(writer.fromBuffer(bytes)), now);
  assert.deepEqual(plain(writer.fromBuffer(v1.toBuffer(old), writer.createResolver(v1))), { ...old, bands: null });
});

test('a log written with the v1 ModelHealth schema verifies and resumes against today\'s replay, which adds the bands', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-health-evolution-'));
  const registry = await LmdbSchemaRegistry.open(dir);
  try {
    const before = new Serde(registry);
    const oldId = await before.registerTopic(TOPIC, MODEL_HEALTH_SCHEMA_V1);
    const recorded = before.encode(TOPIC, old);
    const today = new Serde(registry);
    const newId = await today.registerTopic(TOPIC, MODEL_HEALTH_SCHEMA);
    await today.loadAll();
    assert.notEqual(newId, oldId);
    const decode = (t: string, b: Uint8Array) => today.decodeAs(t, b);
    const encode = (t: string, v: object) => today.encode(t, v);
    assert.deepEqual(plain(decode(TOPIC, recorded)), { ...old, bands: null });
    // verify: the replayed report (with bands) matches the recorded v1 one on every field v1 holds...
    assert.ok(sameRecorded(recorded, encode(TOPIC, now), decode, encode, TOPIC, now));
    // ...and not when one of them differs (one ulp of the hit rate), nor without the value to compare.
    const off = { ...now, hitRate: 0.43055555555555564 };
    assert.ok(!sameRecorded(recorded, encode(TOPIC, off), decode, encode, TOPIC, off));
    assert.ok(!sameRecorded(recorded, encode(TOPIC, now), decode, encode, TOPIC));
    // A model without bands replays the v1 report: matched by re-encoding, as before.
    assert.ok(sameRecorded(recorded, encode(TOPIC, old), decode, encode, TOPIC, old));
    // A report recorded today (with bands) matches only byte for byte: other bands are another report.
    const other = { ...now, bands: [band(1 / 3, 0.4, 300, 121), ...(now.bands as HealthBand[]).slice(1)] };
    assert.ok(!sameRecorded(encode(TOPIC, now), encode(TOPIC, other), decode, encode, TOPIC, other));

    // Resume by content after the upgrade: the recorded v1 report is taken by the report with bands, once.
    const normalize = toCurrentSchema(encode, decode);
    assert.notEqual(normalize(TOPIC, recorded), recorded, 'read into the current schema');
    const outputs = new RecordedOutputs();
    outputs.addLegacy(TOPIC, recorded);
    assert.ok(!outputs.take(TOPIC, encode(TOPIC, off), off));
    assert.ok(outputs.take(TOPIC, encode(TOPIC, now), now));
    assert.ok(!outputs.take(TOPIC, encode(TOPIC, now), now), 'one recorded copy, taken once');
    // The old fields decode bit for bit.
    const read = decode(TOPIC, recorded) as ModelHealth;
    for (const k of ['hitRate', 'hitRateUpper', 'psiMax', 'calibrationGap'] as const) assert.ok(Object.is(read[k], old[k]));
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
});
