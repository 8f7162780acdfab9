import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { avscValue } from '../../helpers/avsc-reference.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { BAR_SCHEMA, TRADE_SCHEMA } from '../../../schemas/index.ts';
import { tradeReader } from '../../../storage/serde/trade-reader.ts';

// The reference is avsc itself: the direct reader must give avsc's value (same record class, same
// fields, bit-identical numbers) whenever it gives one, and give none where avsc would not decode
// the whole body.
const type = avro.Type.forSchema(TRADE_SCHEMA as unknown as avro.Schema);
const read = tradeReader(type)!;
const HEADER = 5;

function check(body: Uint8Array, mustRead: boolean): void {
  const framed = new Uint8Array(HEADER + body.length);
  framed.set(body, HEADER);
  const fast = read(framed, HEADER);
  const ref = avscValue(type, body);
  if (fast !== undefined) {
    assert.notEqual(ref, undefined, 'the direct reader decoded bytes avsc rejects');
    assert.equal(Object.getPrototypeOf(fast), Object.getPrototypeOf(ref));
    assert.deepStrictEqual(fast, ref);
    for (const k of ['price', 'size'] as const) assert.ok(Object.is((fast as Record<string, unknown>)[k], (ref as Record<string, unknown>)[k]));
  }
  if (mustRead) assert.notEqual(fast, undefined);
  // The same body followed by other bytes (varint continuation bytes, as if the next record went
  // on), read up to its end (replay's reader thread reads a block's records in place, D173): the same answer.
  const inside = new Uint8Array(HEADER + body.length + 9).fill(0x81);
  inside.set(body, HEADER);
  assert.deepStrictEqual(read(inside, HEADER, undefined, HEADER + body.length), fast);
}

test('the direct trade reader gives exactly avsc values for random trades, symbols interned', () => {
  const rng = new Rng(19);
  const symbols = ['BTC', 'ETH', '', 'Zürich', '日経', 'SOL', 'ADA', 'XRP', 'DOGE', 'NIFTY', 'X'.repeat(200)];
  const doubles = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, 5e-324, 1.7976931348623157e308, 0.1, 189.25];
  const longs = [0, -1, 1, 63, 64, -64, -65, 2 ** 27, -(2 ** 27), 2 ** 28, 1_700_000_000_123, -1_700_000_000_123, 2 ** 47 - 1, -(2 ** 47)];
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
  for (let i = 0; i < 5000; i++) {
    const t = {
      tsEvent: rng.next() < 0.5 ? pick(longs) : Math.floor(rng.next() * 2 ** 41),
      tsInit: pick(longs),
      symbol: pick(symbols),
      price: rng.next() < 0.3 ? pick(doubles) : rng.next() * 1e5,
      size: rng.next() < 0.3 ? pick(doubles) : rng.next(),
      side: rng.next() < 0.5 ? 'BUY' : 'SELL',
      tradeId: pick(longs),
    };
    check(type.toBuffer(t), true);
  }
  const a = read(withHeader(type.toBuffer({ tsEvent: 1, tsInit: 2, symbol: 'ETH', price: 1, size: 1, side: 'BUY', tradeId: 3 })), HEADER) as { symbol: string };
  const b = read(withHeader(type.toBuffer({ tsEvent: 1, tsInit: 2, symbol: 'ETH', price: 1, size: 1, side: 'BUY', tradeId: 3 })), HEADER) as { symbol: string };
  assert.equal(a.symbol, 'ETH');
  assert.equal(a.symbol, b.symbol);
});

test('anything unusual is left to avsc: truncation, trailing bytes, bad enum index, long varints, bad string length', () => {
  const good = type.toBuffer({ tsEvent: 1_700_000_000_123, tsInit: 1_700_000_000_456, symbol: 'BTC', price: 189.25, size: 2, side: 'SELL', tradeId: 77 });
  for (let n = 0; n < good.length; n++) assert.equal(read(withHeader(good.subarray(0, n)), HEADER), undefined, `truncated to ${n}`);
  assert.equal(read(withHeader(Buffer.concat([good, Buffer.from([0])])), HEADER), undefined);
  // side is the second-to-last field; tradeId 77 is one varint byte: the enum index is good[-2].
  const badSide = Buffer.from(good);
  badSide[badSide.length - 2] = 4; // zigzag 2: no third symbol
  assert.equal(read(withHeader(badSide), HEADER), undefined);
  // Longs beyond 7 varint bytes (|n| >= 2^48): avsc reads them (or refuses unsafe ones) itself.
  const big = type.toBuffer({ tsEvent: 2 ** 52, tsInit: 0, symbol: 'BTC', price: 1, size: 1, side: 'BUY', tradeId: 9_007_199_254_740_990 });
  assert.equal(read(withHeader(big), HEADER), undefined);
  check(big, false);
  // A negative string length (zigzag 1 = -1) right after two 1-byte longs.
  assert.equal(read(withHeader(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])), HEADER), undefined);
  // Non-canonical varint (0 written in 5 bytes): avsc accepts it, so must the reader, same value.
  const nonCanonical = Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x00]), good.subarray(6)]);
  check(nonCanonical, false);
});

test('a reused record: refilled in place with exactly the value a new one gets; anything else is left as it was', () => {
  const rng = new Rng(23);
  const first = read(withHeader(type.toBuffer({ tsEvent: 1, tsInit: 2, symbol: 'ETH', price: 1, size: 1, side: 'BUY', tradeId: 3 })), HEADER) as object;
  let spare = first;
  for (let i = 0; i < 2000; i++) {
    const t = { tsEvent: Math.floor(rng.next() * 2 ** 41), tsInit: Math.floor(rng.next() * 2 ** 41), symbol: rng.next() < 0.5 ? 'BTC' : 'Zürich', price: rng.next() * 1e5, size: rng.next(), side: rng.next() < 0.5 ? 'BUY' : 'SELL', tradeId: Math.floor(rng.next() * 2 ** 40) };
    const bytes = withHeader(type.toBuffer(t));
    const fresh = read(bytes, HEADER);
    const again = read(bytes, HEADER, spare);
    assert.equal(again, spare, 'the same object back');
    assert.deepStrictEqual(again, fresh);
    assert.deepStrictEqual(again, avscValue(type, type.toBuffer(t)));
    spare = again;
  }
  // Not the common case: undefined, and the spare untouched.
  const before = { ...(spare as Record<string, unknown>) };
  const good = type.toBuffer({ tsEvent: 5, tsInit: 6, symbol: 'SOL', price: 7, size: 8, side: 'SELL', tradeId: 9 });
  assert.equal(read(withHeader(good.subarray(0, good.length - 1)), HEADER, spare), undefined);
  assert.deepStrictEqual({ ...(spare as Record<string, unknown>) }, before);
  // A spare that is not this schema's record class is not touched: a new record comes back.
  const plain = { tsEvent: 0 };
  const got = read(withHeader(good), HEADER, plain);
  assert.notEqual(got, plain);
  assert.deepStrictEqual(plain, { tsEvent: 0 });
  assert.deepStrictEqual(got, avscValue(type, good));
});

test('only the Trade layout gets a direct reader', () => {
  assert.equal(tradeReader(avro.Type.forSchema(BAR_SCHEMA as unknown as avro.Schema)), null);
  const renamed = { ...TRADE_SCHEMA, fields: TRADE_SCHEMA.fields.map((f) => (f.name === 'size' ? { ...f, name: 'qty' } : f)) };
  assert.equal(tradeReader(avro.Type.forSchema(renamed as unknown as avro.Schema)), null);
});

function withHeader(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + body.length);
  out.set(body, HEADER);
  return out;
}
