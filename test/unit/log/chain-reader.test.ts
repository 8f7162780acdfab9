import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { avscValue } from '../../helpers/avsc-reference.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { COL, ColumnarChain, CONTRACT_STRIDE, OPTION_CHAIN_SNAPSHOT_SCHEMA, SECOND_RIGHT, TRADE_SCHEMA, type OptionChainSnapshot, type OptionContract } from '../../../schemas/index.ts';
import { chainReader } from '../../../storage/serde/chain-reader.ts';

// The reference is avsc itself (as test/unit/log/trade-reader.test.ts): the direct reader must
// give avsc's value (the same fields, contracts of the same record class, bit-identical numbers)
// whenever it gives one, and give none where avsc would not decode the whole body.
const type = avro.Type.forSchema(OPTION_CHAIN_SNAPSHOT_SCHEMA as unknown as avro.Schema);
const read = chainReader(type)!;
const HEADER = 5;

/** Every number of the two values has the same bits (NaN, -0), every record the same class. */
function sameBits(a: unknown, b: unknown, path: string): void {
  if (typeof a === 'number') {
    assert.ok(Object.is(a, b), `${path}: ${a} vs ${String(b)}`);
    return;
  }
  if (a !== null && typeof a === 'object') {
    assert.equal(Object.getPrototypeOf(a), Object.getPrototypeOf(b), `${path}: prototype`);
    for (const k of Object.keys(a)) sameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  }
}

/**
 * The direct reader's chain as avsc's record: a ColumnarChain (D173) has avsc's fields and values,
 * its contracts (made on reading them) avsc's contract records; the columns hold the same values.
 */
function asRecord(fast: OptionChainSnapshot): unknown {
  assert.ok(fast instanceof ColumnarChain);
  const columns = fast.columns;
  assert.notEqual(columns, null, 'the columns are there until the contracts are read');
  const n = fast.contractCount;
  const contracts = fast.contracts;
  assert.equal(fast.contracts, contracts, 'the contracts are made once');
  assert.equal(fast.columns, null);
  assert.equal(contracts.length, n);
  contracts.forEach((k, i) => {
    const at = i * CONTRACT_STRIDE;
    const v = columns as readonly number[];
    assert.ok(Object.is(v[at + COL.strike], k.strike) && Object.is(v[at + COL.volume], k.volume) && Object.is(v[at + COL.openInterest], k.openInterest) && v[at + COL.expiry] === k.expiry);
    assert.equal((v[at + COL.flags] as number) & SECOND_RIGHT ? 'P' : 'C', k.right);
  });
  const Snapshot = (type as avro.types.RecordType).recordConstructor as new (...args: unknown[]) => object;
  return new Snapshot(fast.tsEvent, fast.tsInit, fast.underlying, fast.spot, contracts);
}

function check(body: Uint8Array, mustRead: boolean): void {
  const fast = read(withHeader(body), HEADER);
  const ref = avscValue(type, body);
  if (fast !== undefined) {
    assert.notEqual(ref, undefined, 'the direct reader decoded bytes avsc rejects');
    const same = asRecord(fast as OptionChainSnapshot);
    // What a checkpoint keeps of it (JSON) is the record's JSON.
    assert.equal(JSON.stringify(fast), JSON.stringify(ref));
    assert.deepStrictEqual(same, ref);
    sameBits(same, ref, 'chain');
  }
  if (mustRead) assert.notEqual(fast, undefined);
  // The same body followed by other bytes, read up to its end: the same answer.
  const inside = new Uint8Array(HEADER + body.length + 9).fill(0x81);
  inside.set(body, HEADER);
  const within = read(inside, HEADER, undefined, HEADER + body.length);
  assert.equal(within === undefined, fast === undefined);
  if (within !== undefined) assert.equal(JSON.stringify(within), JSON.stringify(fast));
}

const contract = (over: Partial<OptionContract> = {}): OptionContract => ({
  expiry: 1_768_300_000_000, strike: 24_200, right: 'C', bid: 60.5, ask: 61, last: null, iv: 0.18, delta: 0.45, gamma: null, openInterest: 1200, volume: 35, ...over,
});

test('the direct chain reader gives exactly avsc values for random chains, underlyings interned', () => {
  const rng = new Rng(19);
  const names = ['NIFTY', 'BTC', '', 'Zürich', '日経', 'X'.repeat(200)];
  const doubles = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, 1.7976931348623157e308, 0.1, 189.25];
  const longs = [0, -1, 1, 63, 64, -64, -65, 2 ** 27, -(2 ** 27), 2 ** 28, 1_700_000_000_123, -1_700_000_000_123, 2 ** 47 - 1, -(2 ** 47)];
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
  const dbl = (): number => (rng.next() < 0.3 ? pick(doubles) : rng.next() * 1e5);
  const nullable = (): number | null => (rng.next() < 0.3 ? null : dbl());
  for (let i = 0; i < 1500; i++) {
    const n = pick([0, 1, 2, 56, 130]);
    const c: OptionChainSnapshot = {
      tsEvent: rng.next() < 0.5 ? pick(longs) : Math.floor(rng.next() * 2 ** 41),
      tsInit: pick(longs),
      underlying: pick(names),
      spot: dbl(),
      contracts: Array.from({ length: n }, () => ({
        expiry: pick(longs), strike: dbl(), right: rng.next() < 0.5 ? 'C' : 'P', bid: nullable(), ask: nullable(), last: nullable(),
        iv: nullable(), delta: nullable(), gamma: nullable(), openInterest: dbl(), volume: dbl(),
      })),
    };
    check(type.toBuffer(c), true);
  }
  const body = type.toBuffer({ tsEvent: 1, tsInit: 2, underlying: 'NIFTY', spot: 24_000, contracts: [contract()] });
  const a = read(withHeader(body), HEADER) as OptionChainSnapshot;
  const b = read(withHeader(body), HEADER) as OptionChainSnapshot;
  assert.equal(a.underlying, 'NIFTY');
  assert.equal(a.underlying, b.underlying);
  assert.notEqual(a.contracts[0], b.contracts[0], 'each read gives its own contract records');
});

test('arrays in several blocks are read as avsc reads them; blocks with a byte size are left to avsc', () => {
  const one = ((type as avro.types.RecordType).fields[4]!.type as avro.types.ArrayType).itemsType.toBuffer(contract());
  const two = ((type as avro.types.RecordType).fields[4]!.type as avro.types.ArrayType).itemsType.toBuffer(contract({ right: 'P', bid: null, strike: 24_300 }));
  const head = type.toBuffer({ tsEvent: 5, tsInit: 6, underlying: 'NIFTY', spot: 24_000, contracts: [] }).subarray(0, -1);
  const long = (n: number): Buffer => avro.Type.forSchema('long').toBuffer(n);
  // Blocks of 1 then 2 contracts, then the zero count.
  const blocks = Buffer.concat([head, long(1), one, long(2), two, one, long(0)]);
  check(blocks, true);
  assert.equal((read(withHeader(blocks), HEADER) as OptionChainSnapshot).contracts.length, 3);
  // A negative count carries the block's byte size: avsc reads it, the direct reader leaves it.
  const sized = Buffer.concat([head, long(-1), long(one.length), one, long(0)]);
  assert.equal(read(withHeader(sized), HEADER), undefined);
  assert.notEqual(avscValue(type, sized), undefined);
});

test('anything unusual is left to avsc: truncation, trailing bytes, bad enum or union index, long varints, huge counts', () => {
  const good = type.toBuffer({ tsEvent: 1_700_000_000_123, tsInit: 1_700_000_000_456, underlying: 'NIFTY', spot: 24_010.5, contracts: [contract(), contract({ right: 'P' })] });
  check(good, true);
  for (let n = 0; n < good.length; n++) assert.equal(read(withHeader(good.subarray(0, n)), HEADER), undefined, `truncated to ${n}`);
  assert.equal(read(withHeader(Buffer.concat([good, Buffer.from([0])])), HEADER), undefined);
  // The first contract starts after tsEvent (6 bytes), tsInit (6), the underlying (1 + 5), spot (8) and the count (1).
  const first = 6 + 6 + 6 + 8 + 1;
  const expiryBytes = avro.Type.forSchema('long').toBuffer(contract().expiry).length;
  const rightAt = first + expiryBytes + 8;
  const badRight = Buffer.from(good);
  badRight[rightAt] = 4; // zigzag 2: no third right
  assert.equal(read(withHeader(badRight), HEADER), undefined);
  check(badRight, false);
  const badUnion = Buffer.from(good);
  badUnion[rightAt + 1] = 4; // bid's union index 2: no third branch
  assert.equal(read(withHeader(badUnion), HEADER), undefined);
  check(badUnion, false);
  // Longs beyond 7 varint bytes: avsc reads them (or refuses unsafe ones) itself.
  const big = type.toBuffer({ tsEvent: 2 ** 52, tsInit: 0, underlying: 'NIFTY', spot: 1, contracts: [] });
  assert.equal(read(withHeader(big), HEADER), undefined);
  check(big, false);
  // A count far beyond what the bytes can hold is not allocated: left to avsc, which fails.
  const head = type.toBuffer({ tsEvent: 5, tsInit: 6, underlying: 'NIFTY', spot: 24_000, contracts: [] }).subarray(0, -1);
  const huge = Buffer.concat([head, avro.Type.forSchema('long').toBuffer(2 ** 40)]);
  assert.equal(read(withHeader(huge), HEADER), undefined);
  check(huge, false);
  // A negative string length right after two 1-byte longs.
  assert.equal(read(withHeader(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])), HEADER), undefined);
});

test('only the OptionChainSnapshot layout gets a direct reader', () => {
  assert.equal(chainReader(avro.Type.forSchema(TRADE_SCHEMA as unknown as avro.Schema)), null);
  const renamed = { ...OPTION_CHAIN_SNAPSHOT_SCHEMA, fields: OPTION_CHAIN_SNAPSHOT_SCHEMA.fields.map((f) => (f.name === 'spot' ? { ...f, name: 'price' } : f)) };
  assert.equal(chainReader(avro.Type.forSchema(renamed as unknown as avro.Schema)), null);
  const items = OPTION_CHAIN_SNAPSHOT_SCHEMA.fields[4].type.items;
  const floatBid = {
    ...OPTION_CHAIN_SNAPSHOT_SCHEMA,
    fields: [...OPTION_CHAIN_SNAPSHOT_SCHEMA.fields.slice(0, 4), { name: 'contracts', type: { type: 'array', items: { ...items, fields: items.fields.map((f) => (f.name === 'bid' ? { name: 'bid', type: ['null', 'float'], default: null } : f)) } } }],
  };
  assert.equal(chainReader(avro.Type.forSchema(floatBid as unknown as avro.Schema)), null);
  // A Right enum in another order (a ColumnarChain's flags say call or put).
  const swapped = {
    ...OPTION_CHAIN_SNAPSHOT_SCHEMA,
    fields: [...OPTION_CHAIN_SNAPSHOT_SCHEMA.fields.slice(0, 4), { name: 'contracts', type: { type: 'array', items: { ...items, fields: items.fields.map((f) => (f.name === 'right' ? { name: 'right', type: { type: 'enum', name: 'Right', symbols: ['P', 'C'] } } : f)) } } }],
  };
  assert.equal(chainReader(avro.Type.forSchema(swapped as unknown as avro.Schema)), null);
});

function withHeader(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + body.length);
  out.set(body, HEADER);
  return out;
}
