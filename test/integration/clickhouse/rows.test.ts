/** Pure parts of the ClickHouse layer (no server): validation, row ids, RowBinary, error classes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TOPIC_LIST } from '../../../schemas/topics.ts';
import { ClickHouseSinkError, classifyFailure, serverErrorCode } from '../../../sinks/clickhouse/clickhouse-sink-error.ts';
import { projectRecord } from '../../../sinks/clickhouse/derived-rows.ts';
import { ByteWriter, compileType } from '../../../sinks/clickhouse/row-binary.ts';
import { PROJECTED_TOPICS } from '../../../sinks/clickhouse/tables.ts';
import { LogError } from '../../../storage/log/log-error.ts';
import { makeBar, makeFeatures, makeSignal } from './fixtures.ts';

const at = { partition: 2, offset: 41 };
const reasonOf = (topic: Parameters<typeof projectRecord>[0], value: unknown): string => {
  const r = projectRecord(topic, value, at);
  assert.equal(r.ok, false, 'expected a rejection');
  return r.ok ? '' : r.reason;
};

describe('derived record -> row', () => {
  test('every derived topic of the catalogue is projected', () => {
    const derived = TOPIC_LIST.filter((t) => t.kind === 'derived').map((t) => t.name);
    assert.deepEqual([...PROJECTED_TOPICS].sort(), derived.sort());
  });

  test('row ids come from content and rows carry their log position', () => {
    const bar = makeBar(4);
    const r = projectRecord('bars', bar, at);
    assert.ok(r.ok);
    assert.equal(r.row['id'], `${bar.symbol}|5m|${bar.end}`);
    assert.equal(r.row['log_offset'], 41);
    const f = projectRecord('features', makeFeatures(4), at);
    assert.ok(f.ok);
    assert.deepEqual(f.row['feature_names'], ['ret_1', 'rsi_14', 'vol_20'], 'the feature set order is kept');
    const s = projectRecord('signals', makeSignal(4), at);
    assert.ok(s.ok);
    assert.equal(s.row['id'], makeSignal(4).id);
  });

  test('a model-health report becomes one row keyed by model, symbol and bar end', () => {
    const h = { symbol: 'BTC', tsEvent: 1_700_000_300_000, tsInit: 1_700_000_300_004, modelId: 'm1', vectors: 2016, window: 2016, psiMax: 0.31, psiFeature: 'ofi', driftedFeatures: ['ofi'], matured: 576, hitRate: 0.41, hitRateUpper: 0.46, expectedHitRateLo: 0.48, expectedHitRateHi: 0.55, meanConfidence: 0.52, calibrationGap: 0.11, retrain: true, priority: 'high', reason: 'hit rate below the validation range' };
    const r = projectRecord('model-health', h, at);
    assert.ok(r.ok);
    assert.equal(r.row['id'], 'm1|BTC|1700000300000');
    assert.equal(r.row['retrain'], 1);
    assert.equal(r.row['window_size'], 2016);
    assert.deepEqual(r.row['drifted_features'], ['ofi']);
    assert.match(reasonOf('model-health', { ...h, hitRate: Number.NaN }), /^hitRate:/);
  });

  test('bad values are refused with a reason naming the field', () => {
    assert.match(reasonOf('signals', { ...makeSignal(1), pUp: Number.NaN }), /^pUp:/);
    assert.match(reasonOf('signals', { ...makeSignal(1), confidence: 1.01 }), /^confidence:/);
    assert.match(reasonOf('signals', { ...makeSignal(1), symbol: '' }), /^symbol:/);
    assert.match(reasonOf('signals', { ...makeSignal(1), inputs: [{ topic: 'trades', partition: 0, fromOffset: 5, toOffset: 4 }] }), /fromOffset/);
    assert.match(reasonOf('bars', { ...makeBar(1), volume: Number.POSITIVE_INFINITY }), /^volume:/);
    assert.match(reasonOf('bars', { ...makeBar(1), high: 1 }), /within \[low, high\]/);
    assert.match(reasonOf('bars', { ...makeBar(1), tsEvent: makeBar(1).start }), /stamped at its close/);
    assert.match(reasonOf('bars', { ...makeBar(1), trades: 1.5 }), /^trades:/);
    assert.match(reasonOf('features', { ...makeFeatures(1), features: { ok: 1, bad: Number.NaN } }), /^features\.bad:/);
    assert.match(reasonOf('late-events', { tsEvent: 1, tsInit: 2, symbol: 'X', topic: 'trades', partition: -1, offset: 0, watermark: 0, reason: 'late' }), /^partition:/);
  });
});

describe('RowBinary', () => {
  // Byte layouts from https://clickhouse.com/docs/en/interfaces/formats#rowbinary
  const bytes = (type: string, value: unknown): number[] => {
    const w = new ByteWriter(4);
    compileType(type)(w, value);
    return [...w.result()];
  };
  test('lengths are LEB128, a Nullable starts with a null flag, numbers are little-endian', () => {
    assert.deepEqual(bytes('Array(String)', ['ab', '']), [2, 2, 0x61, 0x62, 0]);
    assert.deepEqual(bytes('String', 'x'.repeat(200)).slice(0, 2), [0xc8, 0x01]);
    assert.deepEqual(bytes('Array(Nullable(Float64))', [null, 1]), [2, 1, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    assert.deepEqual(bytes('UInt32', 258), [2, 1, 0, 0]);
    assert.deepEqual(bytes('Int64', -2), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert.deepEqual(bytes("Enum8('BUY' = 1, 'SELL' = 2, 'HOLD' = 3)", 'HOLD'), [3]);
  });
  test('values a column cannot hold throw instead of being written', () => {
    assert.throws(() => bytes('Int64', 2 ** 53), TypeError);
    assert.throws(() => bytes('UInt32', -1), TypeError);
    assert.throws(() => bytes("Enum8('BUY' = 1)", 'SELL'), TypeError);
    assert.throws(() => bytes('Float64', null), TypeError);
    assert.throws(() => compileType('DateTime64(3)'), /unsupported/);
  });
});

describe('failure classes', () => {
  test('18.16 and current server messages, network errors and retriable flags', () => {
    // Messages as 18.16 answered them in this project's experiments (see docs/clickhouse.md).
    const old = (code: number, text: string): Error => new Error(`Code: ${code}, e.displayText() = DB::Exception: ${text}, e.what() = DB::Exception`);
    assert.equal(serverErrorCode(old(27, 'Cannot parse input')), 27);
    assert.equal(classifyFailure(old(27, 'Cannot parse input')), 'rejected');
    assert.equal(classifyFailure(old(395, "Value passed to 'throwIf' function is non zero")), 'rejected');
    assert.equal(classifyFailure(old(60, "Table x.nope doesn't exist.")), 'fatal');
    assert.equal(classifyFailure(new Error('Code: 252. DB::Exception: Too many parts (300).')), 'transient');
    assert.equal(classifyFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })), 'transient');
    assert.equal(classifyFailure(new LogError('bad topic')), 'fatal');
    assert.equal(classifyFailure(new LogError('busy', { retriable: true })), 'transient');
    assert.equal(classifyFailure(new ClickHouseSinkError('schema', { retriable: false })), 'fatal');
  });
});
