import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { SIGNAL_SCHEMA, SIGNAL_SCHEMA_V1, type Signal } from '../../../schemas/index.ts';

/** avsc decodes records as instances of generated classes; compare their plain data. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

const fused: Signal = {
  id: 'f1', tsEvent: 1_700_000_300_000, tsInit: 1_700_000_300_004, symbol: 'BTC', interval: '5m', barEnd: 1_700_000_300_000,
  pUp: 0.5733889272749587, pFlat: 0.33104625151254813, pDown: 0.09556482121249316, action: 'HOLD', confidence: 0.33104625151254813,
  modelId: 'bundle', featureSetHash: 'fs', inputs: [{ topic: 'trades', partition: 0, fromOffset: 1, toOffset: 9 }],
  reason: 'agreement: 1 of 2 timeframes agree with BUY, k=2',
  timeframes: [
    { interval: '5m', modelId: 'm5', barEnd: 1_700_000_300_000, pUp: 0.6, pFlat: 0.3, pDown: 0.1, weight: 1, logOdds: Math.log(6), agrees: true },
    { interval: '1h', modelId: 'm1h', barEnd: null, pUp: null, pFlat: null, pDown: null, weight: 0.5, logOdds: null, agrees: false },
  ],
};

test('a fused signal round-trips through the Signal schema with its timeframe views (doubles bit for bit)', () => {
  const t = avro.Type.forSchema(SIGNAL_SCHEMA as unknown as avro.Schema);
  const back = plain(t.fromBuffer(t.toBuffer(fused))) as Signal;
  assert.deepEqual(back.timeframes, fused.timeframes);
  assert.ok(Object.is(back.timeframes?.[0]?.logOdds, Math.log(6)));
  assert.equal(back.reason, fused.reason);
  // A reader of the first schema reads it too (the views are skipped).
  const v1 = avro.Type.forSchema(SIGNAL_SCHEMA_V1 as unknown as avro.Schema);
  const old = plain(v1.fromBuffer(t.toBuffer(fused), v1.createResolver(t))) as Signal;
  assert.equal(old.pUp, fused.pUp);
  assert.equal('timeframes' in old, false);
});
