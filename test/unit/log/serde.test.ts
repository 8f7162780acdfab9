import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import avro from 'avsc';
import type { Bar, DeadLetter, Signal, Trade } from '../../../schemas/index.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { DecodeError, EncodeError } from '../../../storage/serde/serde-error.ts';

let dir: string;
let embedded: EmbeddedLog;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tickflow-serde-'));
  embedded = await openEmbeddedLog(dir);
});
after(async () => {
  await embedded.close();
  await rm(dir, { recursive: true, force: true });
});

const trade: Trade = { tsEvent: 1_700_000_000_123, tsInit: 1_700_000_000_456, symbol: 'AAPL', price: 189.25, size: 100, side: 'SELL', tradeId: 9_007_199_254_740_990 }; // avsc's largest exact long (isSafeLong in avsc/lib/types.js)

/** avsc decodes records as instances of generated classes; compare their plain data. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

const reason = (r: string | RegExp) => (e: unknown) => e instanceof DecodeError && (typeof r === 'string' ? e.reason === r : r.test(e.reason));

test('values round-trip through the Confluent frame: magic 0, big-endian schema id, Avro body', () => {
  const { serde } = embedded;
  const bytes = serde.encode('trades', trade);
  assert.equal(bytes[0], 0);
  assert.equal(Buffer.from(bytes).readUInt32BE(1), serde.schemaIdFor('trades'));
  const decoded = serde.decode(bytes);
  assert.equal(decoded.schemaId, serde.schemaIdFor('trades'));
  assert.deepEqual(plain(decoded.value), trade, 'epoch-ms longs survive exactly (no float)');
  assert.deepEqual(plain(serde.decodeAs<Trade>('trades', bytes)), trade);

  const bar: Bar = { tsEvent: 1_700_000_300_000, tsInit: 1_700_000_300_001, symbol: 'AAPL', interval: '5m', start: 1_700_000_000_000, end: 1_700_000_300_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, buyVolume: null, vwap: 1.2, trades: 3 };
  assert.deepEqual(plain(serde.decodeAs<Bar>('bars', serde.encode('bars', bar))), bar);
  const dead: DeadLetter = { tsInit: 1, topic: 'trades', partition: 2, offset: 3, key: 'AAPL', reason: 'bad-magic-byte', payload: Buffer.from([9, 0, 255]) };
  assert.deepEqual(plain(serde.decodeAs<DeadLetter>('dead-letters', serde.encode('dead-letters', dead))), dead);
  const signal: Signal = { id: 's1', tsEvent: 5, tsInit: 6, symbol: 'AAPL', interval: '5m', barEnd: 5, pUp: 0.2, pFlat: 0.5, pDown: 0.3, action: 'HOLD', confidence: 0.5, modelId: 'm', featureSetHash: 'h', inputs: [{ topic: 'bars', partition: 1, fromOffset: 0, toOffset: 10 }] };
  // Fields added to Signal later decode to their Avro defaults when a value leaves them out.
  assert.deepEqual(plain(serde.decodeAs<Signal>('signals', serde.encode('signals', signal))), { ...signal, expectedReturn: null, q10: null, q50: null, q90: null, contributions: [], size: null, stop: null, target: null, expiresAt: null, reason: null, contract: null, timeframes: [] });
  const withHeads: Signal = { ...signal, expectedReturn: 0.001, q10: -0.002, q50: 0.0005, q90: 0.003, contributions: [{ feature: 'ret_1', value: 0.25 }] };
  assert.deepEqual(plain(serde.decodeAs<Signal>('signals', serde.encode('signals', withHeads))), { ...withHeads, size: null, stop: null, target: null, expiresAt: null, reason: null, contract: null, timeframes: [] });
});

test('encode rejects values that do not fit the schema and unknown topics', () => {
  const { serde } = embedded;
  assert.throws(() => serde.encode('trades', { ...trade, tsEvent: 'soon' }), (e: unknown) => e instanceof EncodeError && e.reason.startsWith('avro: '));
  assert.throws(() => serde.encode('trades', { ...trade, side: 'HOLD' }), EncodeError);
  assert.throws(() => serde.encode('trades', { ...trade, tradeId: Number.MAX_SAFE_INTEGER }), EncodeError, 'beyond avsc exact longs');
  assert.throws(() => serde.encode('no-such-topic', trade), (e: unknown) => e instanceof EncodeError && e.reason === 'unknown-topic:no-such-topic');
});

test('decode reports bad input with a reason instead of returning garbage', () => {
  const { serde } = embedded;
  const good = Buffer.from(serde.encode('trades', trade));
  assert.throws(() => serde.decode(Uint8Array.of(1, 0, 0, 0, 1, 2)), reason('bad-magic-byte'));
  assert.throws(() => serde.decode(good.subarray(0, 4)), reason('truncated'));
  assert.throws(() => serde.decode(good.subarray(0, good.length - 3)), reason(/^truncated$|^avro: /));
  assert.throws(() => serde.decode(Buffer.concat([good, Buffer.from([0])])), reason('trailing-bytes:1'));
  const unknown = Buffer.from(good);
  unknown.writeUInt32BE(4242, 1);
  assert.throws(() => serde.decode(unknown), (e: unknown) => e instanceof DecodeError && e.reason === 'unknown-schema-id:4242' && e.retriable);
  // An enum index out of range. Trade's body ends with side (a one-byte zig-zag varint) then tradeId.
  const badEnum = Buffer.from(good);
  const sideAt = badEnum.length - avro.Type.forSchema('long').toBuffer(trade.tradeId).length - 1;
  assert.equal(badEnum[sideAt], 2, 'SELL is enum index 1, zig-zag encoded as 2');
  badEnum[sideAt] = 6; // index 3: Side has two symbols
  assert.throws(() => serde.decode(badEnum), reason(/^avro: /));
  // A Uint8Array that is a view into a larger buffer decodes the view only.
  const padded = new Uint8Array(good.length + 10);
  padded.set(good, 5);
  assert.deepEqual(plain(serde.decode(padded.subarray(5, 5 + good.length)).value), trade);
});

test('decodeAs resolves records written with an older schema of the topic (added field gets its default)', async () => {
  const { serde } = embedded;
  const v1 = { type: 'record', name: 'Tick', namespace: 'test', fields: [{ name: 'px', type: 'double' }] };
  const v2 = { ...v1, fields: [...v1.fields, { name: 'venue', type: 'string', default: 'XNAS' }] };
  const id1 = await serde.registerTopic('ticks', v1);
  const old = serde.encode('ticks', { px: 1.5 });
  // Decoded once under v1 first: decodeAs keeps its last topic's schema, which v2 must replace.
  assert.deepEqual(plain(serde.decodeAs('ticks', old)), { px: 1.5 });
  const id2 = await serde.registerTopic('ticks', v2);
  assert.notEqual(id1, id2);
  assert.deepEqual(plain(serde.decode(old)), { schemaId: id1, value: { px: 1.5 } });
  assert.deepEqual(plain(serde.decodeAs('ticks', old)), { px: 1.5, venue: 'XNAS' });
  assert.deepEqual(plain(serde.decodeAs('ticks', serde.encode('ticks', { px: 2, venue: 'ARCX' }))), { px: 2, venue: 'ARCX' });
  const unrelated = await serde.registerTopic('unrelated', { type: 'record', name: 'Other', fields: [{ name: 'n', type: 'int' }] });
  const otherBytes = serde.encode('unrelated', { n: 1 });
  assert.equal(Buffer.from(otherBytes).readUInt32BE(1), unrelated);
  assert.throws(() => serde.decodeAs('ticks', otherBytes), reason(/^incompatible-schema:/));
});

test('decodeDirect reads a value inside a larger buffer as decodeAs reads it alone, and leaves everything else to decodeAs', async () => {
  const { serde } = embedded;
  // (`trade`'s tradeId needs more varint bytes than the direct reader reads: decodeAs's alone.)
  assert.equal(serde.decodeDirect('trades', serde.encode('trades', trade), 0, serde.encode('trades', trade).length), undefined);
  const bytes = serde.encode('trades', { ...trade, tradeId: 77 });
  // The value between other bytes, as in a block of stored records (replay's reader thread, D173).
  const inside = new Uint8Array(7 + bytes.length + 9).fill(0x81);
  inside.set(bytes, 7);
  const got = serde.decodeDirect<Trade>('trades', inside, 7, 7 + bytes.length);
  assert.deepStrictEqual(got, serde.decodeAs<Trade>('trades', bytes));
  // Into a value it gave before (the reader thread's spare trade): the same object, the new fields.
  const other = serde.encode('trades', { ...trade, tradeId: 77, symbol: 'MSFT', price: 1.25 });
  inside.set(other, 7);
  assert.equal(serde.decodeDirect<Trade>('trades', inside, 7, 7 + other.length, got), got);
  assert.deepEqual(plain(got), { ...trade, tradeId: 77, symbol: 'MSFT', price: 1.25 });
  // Cut short, past its end, a bad magic byte, another schema id, a topic without a direct reader
  // or a schema: undefined (decodeAs decides those).
  assert.equal(serde.decodeDirect('trades', inside, 7, 7 + other.length - 1), undefined);
  assert.equal(serde.decodeDirect('trades', inside, 7, 7 + other.length + 1), undefined);
  const badMagic = Uint8Array.from(bytes);
  badMagic[0] = 9;
  assert.equal(serde.decodeDirect('trades', badMagic, 0, badMagic.length), undefined);
  const otherId = Uint8Array.from(bytes);
  otherId[4] = (otherId[4] as number) ^ 0x40;
  assert.equal(serde.decodeDirect('trades', otherId, 0, otherId.length), undefined);
  const bar = serde.encode('bars', { tsEvent: 1, tsInit: 1, symbol: 'X', interval: '1m', start: 0, end: 60_000, open: 1, high: 1, low: 1, close: 1, volume: 1, buyVolume: null, vwap: 1, trades: 1 } satisfies Bar);
  assert.equal(serde.decodeDirect('bars', bar, 0, bar.length), undefined);
  assert.equal(serde.decodeDirect('no-such-topic', bytes, 0, bytes.length), undefined);
});

test('a reopened directory keeps schema ids, so old bytes decode', async () => {
  const other = await mkdtemp(join(tmpdir(), 'tickflow-serde-'));
  try {
    let e = await openEmbeddedLog(other);
    const bytes = e.serde.encode('trades', trade);
    const id = e.serde.schemaIdFor('trades');
    await e.log.append('trades', [{ key: trade.symbol, timestamp: trade.tsEvent, value: bytes }]);
    await e.close();
    e = await openEmbeddedLog(other);
    assert.equal(e.serde.schemaIdFor('trades'), id);
    const p = partitionFor('AAPL', await e.log.partitions('trades'));
    const records = [];
    for await (const batch of e.log.read('trades', p)) records.push(...batch);
    assert.equal(records.length, 1);
    assert.deepEqual(plain(e.serde.decodeAs<Trade>('trades', records[0]!.value)), trade);
    await e.close();
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test('one directory opened twice in one process: shared ids, each handle reads the other', async () => {
  const other = await mkdtemp(join(tmpdir(), 'tickflow-serde-'));
  try {
    const a = await openEmbeddedLog(other);
    const b = await openEmbeddedLog(other);
    assert.equal(a.serde.schemaIdFor('trades'), b.serde.schemaIdFor('trades'));
    const [pos] = await a.log.append('trades', [{ key: trade.symbol, timestamp: trade.tsEvent, value: a.serde.encode('trades', trade) }]);
    const records = [];
    for await (const batch of b.log.read('trades', pos!.partition)) records.push(...batch);
    assert.deepEqual(plain(b.serde.decodeAs<Trade>('trades', records[0]!.value)), trade);
    await a.close();
    assert.equal(await b.log.endOffset('trades', pos!.partition), 1, 'closing one leaves the other open');
    await b.close();
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});
