import avro from 'avsc';
import { KeyInterner } from '../log/stored-record.ts';
import { LITTLE_ENDIAN, LongReader } from './avro-bytes.ts';
import type { TradeReader } from './trade-reader.ts';
import { COL, ColumnarChain, CONTRACT_STRIDE, SECOND_RIGHT, type ContractMaker, type OptionContract } from '../../schemas/index.ts';

/** Reads the Avro body of an option chain at `start` to the end of `bytes`; undefined = not the common case. */
export type ChainReader = TradeReader;

/** The OptionChainSnapshot schema's fields, in order, as (name, avsc type name): the only layout read here. */
const LAYOUT: readonly (readonly [string, string])[] = [['tsEvent', 'long'], ['tsInit', 'long'], ['underlying', 'string'], ['spot', 'double'], ['contracts', 'array']];
/** The OptionContract record's fields; the six nullable doubles are ["null", "double"] unions. */
const CONTRACT: readonly (readonly [string, string])[] = [
  ['expiry', 'long'], ['strike', 'double'], ['right', 'enum'], ['bid', 'union:unwrapped'], ['ask', 'union:unwrapped'], ['last', 'union:unwrapped'],
  ['iv', 'union:unwrapped'], ['delta', 'union:unwrapped'], ['gamma', 'union:unwrapped'], ['openInterest', 'double'], ['volume', 'double'],
];
/** Fewest bytes one contract takes (1-byte longs, enum and union indexes, null unions): bounds a block's item count. */
const MIN_CONTRACT_BYTES = 1 + 8 + 1 + 6 + 8 + 8;

const matches = (fields: readonly { name: string; type: avro.Type }[], layout: readonly (readonly [string, string])[]): boolean =>
  fields.length === layout.length && fields.every((f, i) => f.name === layout[i]![0] && f.type.typeName === layout[i]![1]);

/**
 * The replay's second input, an option chain (~56 contracts, ~4 KB), read straight from the
 * bytes: avsc's generic path reads each of a contract's six nullable doubles through a union
 * type's read and a Tap, and decodes the underlying's UTF-8 every time. This reads the same
 * fields in the same way as avsc 5.7 (Tap.readLong, little-endian doubles, enum and union
 * indexes, an array as blocks of items ended by a zero count, the first block's count sizing
 * the array as ArrayType._read does), into a ColumnarChain (schemas/option-chain-columns.ts, D173):
 * the contracts' numbers in columns, made into records of avsc's contract class
 * (`recordConstructor`) only when read; the underlying interned. It takes only the common case
 * and returns undefined for everything else (a short or long body, an unknown enum or union
 * index, a varint longer than 7 bytes, a negative string length, a block written with its byte
 * size, a count the bytes cannot hold), so the caller's generic decode gives the same value or
 * the same error as before. Null when `type` is not the OptionChainSnapshot layout (its Right
 * enum C, P).
 */
export function chainReader(type: avro.Type): ChainReader | null {
  if (!LITTLE_ENDIAN || !(type instanceof avro.types.RecordType) || !matches(type.fields, LAYOUT)) return null;
  const array = type.fields[4]!.type as avro.types.ArrayType;
  const item = array.itemsType;
  if (!(item instanceof avro.types.RecordType) || !matches(item.fields, CONTRACT)) return null;
  for (let i = 3; i <= 8; i++) {
    const branches = (item.fields[i]!.type as unknown as { types: avro.Type[] }).types;
    if (branches.length !== 2 || branches[0]!.typeName !== 'null' || branches[1]!.typeName !== 'double') return null;
  }
  // The Right enum as OptionChainSnapshot v1 has it: a ColumnarChain's flags say call or put.
  const rights = (item.fields[2]!.type as avro.types.EnumType).symbols;
  if (rights.length !== 2 || rights[0] !== 'C' || rights[1] !== 'P') return null;
  const Contract = item.recordConstructor as new (...args: unknown[]) => OptionContract;
  const keys = new KeyInterner();
  // The enum's first two symbols (one-byte indexes 0 and 2; any other index is left to avsc).
  const right0 = rights[0] as string;
  const right1 = rights[1] as string;
  // A contract record from its columns: the record avsc's reader would have made.
  const make: ContractMaker = (v, at) => {
    const f = v[at + COL.flags] as number;
    return new Contract(
      v[at + COL.expiry], v[at + COL.strike], f & SECOND_RIGHT ? right1 : right0,
      f & 1 ? null : v[at + COL.bid], f & 2 ? null : v[at + COL.ask], f & 4 ? null : v[at + COL.last],
      f & 8 ? null : v[at + COL.iv], f & 16 ? null : v[at + COL.delta], f & 32 ? null : v[at + COL.gamma],
      v[at + COL.openInterest], v[at + COL.volume],
    );
  };
  // The position after the last long read is longs.at, -1 once anything was out of the common case.
  const longs = new LongReader();

  return (buf, start, _reuse, end = buf.length) => {
    // Fields in schema order, as avsc's reader reads them.
    const len = end;
    const tsEvent = longs.read(buf, start);
    if (longs.at < 0) return undefined;
    const tsInit = longs.read(buf, longs.at);
    if (longs.at < 0) return undefined;
    const length = longs.read(buf, longs.at);
    if (longs.at < 0 || length < 0 || longs.at + length + 8 > len) return undefined;
    const underlying = keys.intern(buf, longs.at, longs.at + length);
    const view = new DataView(buf.buffer, buf.byteOffset, len);
    let p = longs.at + length;
    const spot = view.getFloat64(p, true);
    p += 8;
    // The contracts' columns (ColumnarChain): a plain array of doubles (one allocation on the
    // heap, the doubles unboxed), sized by the first block's count and grown by any later block.
    let values: number[] | null = null;
    let i = 0;
    for (;;) {
      const n = longs.read(buf, p);
      if (longs.at < 0 || n < 0 || n * MIN_CONTRACT_BYTES > len - longs.at) return undefined;
      p = longs.at;
      if (n === 0) break;
      if (values === null) values = new Array<number>(n * CONTRACT_STRIDE);
      else values.length = (i + n) * CONTRACT_STRIDE;
      for (let k = 0; k < n; k++) {
        const expiry = longs.read(buf, p);
        if (longs.at < 0) return undefined;
        p = longs.at;
        // strike, then the right's enum index (one byte: zigzag 0 or 2).
        if (p + 9 > len) return undefined;
        const at = i * CONTRACT_STRIDE;
        const r = buf[p + 8];
        if (r !== 0 && r !== 2) return undefined;
        values[at + COL.expiry] = expiry;
        values[at + COL.strike] = view.getFloat64(p, true);
        let flags = r === 2 ? SECOND_RIGHT : 0;
        p += 9;
        // Six ["null", "double"] unions: index byte 0 (null) or 2 (zigzag 1: a double follows).
        for (let j = 0; j < 6; j++) {
          if (p >= len) return undefined;
          const b = buf[p];
          if (b === 0) {
            flags |= 1 << j;
            values[at + COL.bid + j] = 0;
            p += 1;
          } else if (b === 2 && p + 9 <= len) {
            values[at + COL.bid + j] = view.getFloat64(p + 1, true);
            p += 9;
          } else {
            return undefined;
          }
        }
        if (p + 16 > len) return undefined;
        values[at + COL.openInterest] = view.getFloat64(p, true);
        values[at + COL.volume] = view.getFloat64(p + 8, true);
        values[at + COL.flags] = flags;
        p += 16;
        i++;
      }
    }
    if (p !== len) return undefined;
    return new ColumnarChain(tsEvent, tsInit, underlying, spot, values ?? [], make);
  };
}
