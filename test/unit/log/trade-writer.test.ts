import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import avro from 'avsc';
import { Rng } from '../../../processors/math/rng.ts';
import { BAR_SCHEMA, TRADE_SCHEMA } from '../../../schemas/index.ts';
import { tradeWriter } from '../../../storage/serde/trade-writer.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';

// The reference is avsc itself: whenever the direct writer writes, its bytes are avsc's bytes
// (Type.toBuffer); where it declines (-1), avsc either writes (then the caller uses avsc) or throws.
const type = avro.Type.forSchema(TRADE_SCHEMA as unknown as avro.Schema);
const write = tradeWriter(type)!;
const HEADER = 5;

function avscBytes(t: object): Buffer | undefined {
  try {
    return type.toBuffer(t);
  } catch {
    return undefined;
  }
}

/** Checks one value; returns whether the direct writer took it. */
function check(t: object): boolean {
  const buf = new Uint8Array(256).fill(0xee);
  const end = write(t, buf, HEADER);
  if (end < 0) return false;
  const ref = avscBytes(t);
  assert.notEqual(ref, undefined, `the direct writer wrote a value avsc refuses: ${JSON.stringify(t)}`);
  assert.deepEqual(Buffer.from(buf.subarray(HEADER, end)), ref, JSON.stringify(t));
  assert.ok(buf.subarray(0, HEADER).every((b) => b === 0xee), 'wrote before its start');
  return true;
}

test('the direct trade writer gives exactly avsc bytes for random trades, edge longs and doubles', () => {
  const rng = new Rng(23);
  const symbols = ['BTCUSDT', 'ETH', '', 'BENCHUSDT', 'BTC-PERP', 'X'.repeat(200), 'SPY'];
  const doubles = [-0, 5e-324, 1.7976931348623157e308, 0.1, 0.30000000000000004, 189.25, 60000.01, 1e-9, 123456789.123];
  // Around every varint length and avsc's two writeLong branches (±2^30) and its safe bound.
  const longs = [0, -0, -1, 1, 63, 64, -64, -65, 8191, 8192, 2 ** 20, 2 ** 27, -(2 ** 27), 2 ** 28, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1,
    2 ** 31, 2 ** 34, 2 ** 35, 1_700_000_000_123, -1_700_000_000_123, 1_782_864_000_000_123, 2 ** 47 - 1, -(2 ** 47), 2 ** 48, 2 ** 52, 9_007_199_254_740_990, -9_007_199_254_740_990];
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
  let taken = 0;
  for (let i = 0; i < 20_000; i++) {
    const t = {
      tsEvent: rng.next() < 0.5 ? pick(longs) : Math.floor(rng.next() * 2 ** 41),
      tsInit: pick(longs),
      symbol: pick(symbols),
      price: rng.next() < 0.3 ? pick(doubles) : rng.next() * 1e5,
      size: rng.next() < 0.3 ? pick(doubles) : rng.next(),
      side: rng.next() < 0.5 ? 'BUY' : 'SELL',
      tradeId: rng.next() < 0.5 ? pick(longs) : Math.floor(rng.next() * 2 ** 53) - 2 ** 52,
    };
    if (check(t)) taken++;
  }
  assert.equal(taken, 20_000, 'every value in the common case is written directly');
  // A record of avsc's own class, as the reader returns it, is written the same way.
  const again = type.fromBuffer(type.toBuffer({ tsEvent: 1, tsInit: 2, symbol: 'ETH', price: 1.5, size: 2, side: 'SELL', tradeId: 3 })) as object;
  assert.ok(check(again));
});

test('anything unusual is left to avsc: unsafe or fractional longs, non-finite doubles, non-ASCII symbols, unknown sides, missing fields, no room', () => {
  const good = { tsEvent: 1_700_000_000_123, tsInit: 1_700_000_000_456, symbol: 'BTC', price: 189.25, size: 2, side: 'SELL', tradeId: 77 };
  assert.ok(check(good));
  const declined: object[] = [
    { ...good, tradeId: 9_007_199_254_740_991 }, // Number.MAX_SAFE_INTEGER: avsc refuses it (isSafeLong)
    { ...good, tsEvent: -9_007_199_254_740_991 },
    { ...good, tsInit: 1.5 },
    { ...good, tradeId: '77' },
    { ...good, price: Number.NaN },
    { ...good, size: Number.POSITIVE_INFINITY },
    { ...good, price: '1' },
    { ...good, symbol: 'Zürich' },
    { ...good, symbol: '日経' },
    { ...good, symbol: 5 },
    { ...good, side: 'HOLD' },
    { ...good, side: 'buy' },
    { ...good, side: 'toString' },
    { ...good, side: undefined },
    { tsEvent: 1, tsInit: 1, symbol: 'A', price: 1, size: 1, side: 'BUY' },
  ];
  for (const t of declined) assert.equal(write(t, new Uint8Array(256), HEADER), -1, JSON.stringify(t));
  // Where avsc does write a declined value (non-finite doubles, non-ASCII symbols), the caller's
  // avsc path gives the bytes; where it throws, the caller reports the same error as before.
  assert.notEqual(avscBytes({ ...good, price: Number.NaN }), undefined);
  assert.equal(avscBytes({ ...good, tradeId: 9_007_199_254_740_991 }), undefined);
  assert.equal(write(good, new Uint8Array(HEADER + 10), HEADER), -1, 'too small a buffer');
});

test('only the Trade layout gets a direct writer', () => {
  assert.equal(tradeWriter(avro.Type.forSchema(BAR_SCHEMA as unknown as avro.Schema)), null);
  const renamed = { ...TRADE_SCHEMA, fields: TRADE_SCHEMA.fields.map((f) => (f.name === 'size' ? { ...f, name: 'qty' } : f)) };
  assert.equal(tradeWriter(avro.Type.forSchema(renamed as unknown as avro.Schema)), null);
});

test('Serde.encode of trades: the Confluent frame around avsc\'s bytes, each value intact after thousands more (values share slabs)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-trade-writer-'));
  const embedded = await openEmbeddedLog(dir);
  try {
    const { serde } = embedded;
    const id = serde.schemaIdFor('trades');
    const rng = new Rng(29);
    const values: object[] = [];
    const encoded: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      // Every 50th value goes avsc's way (a non-ASCII symbol, a NaN price): same frame either way.
      const symbol = i % 50 === 0 ? 'Zürich' : i % 7 === 0 ? 'S'.repeat(600) : 'BTCUSDT';
      const t = { tsEvent: 1_782_864_000_000 + i, tsInit: 1_782_864_000_000 + i, symbol, price: i % 50 === 25 ? Number.NaN : rng.next() * 1e5, size: rng.next(), side: i % 3 === 0 ? 'SELL' : 'BUY', tradeId: 5_000_000_000 + i };
      values.push(t);
      encoded.push(serde.encode('trades', t));
    }
    for (let i = 0; i < values.length; i++) {
      const want = Buffer.concat([Buffer.from([0]), Buffer.from([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), type.toBuffer(values[i])]);
      assert.deepEqual(Buffer.from(encoded[i]!), want, `value ${i}`);
    }
    assert.throws(() => serde.encode('trades', { ...values[1]!, tradeId: 9_007_199_254_740_991 }), /invalid "long"/);
  } finally {
    await embedded.close();
    await rm(dir, { recursive: true, force: true });
  }
});
