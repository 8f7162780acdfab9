import avro from 'avsc';
import { KeyInterner } from '../log/stored-record.ts';

/** Reads the Avro body of a Trade at `start` to the end of `bytes`; undefined = not the common case. */
export type TradeReader = (bytes: Uint8Array, start: number) => object | undefined;

/** The Trade schema's fields, in order, as (name, avsc type name): the only layout read here. */
const LAYOUT: readonly (readonly [string, string])[] = [
  ['tsEvent', 'long'], ['tsInit', 'long'], ['symbol', 'string'], ['price', 'double'], ['size', 'double'], ['side', 'enum'], ['tradeId', 'long'],
];
/** Varints up to 7 bytes: |value| < 2^48, always a safe integer (avsc checks that for longer ones). */
const MAX_VARINT = 7;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The replay's most frequent record, read straight from the bytes: avsc's generic path creates
 * a Buffer view, a Tap and a result object per record and decodes the symbol's UTF-8 every time.
 * This reads the same fields in the same way (avsc 5.7's readLong, little-endian doubles, enum
 * index) into the same record class (`recordConstructor`, as avsc's own reader does), with the
 * symbol interned (a few per partition: compared byte for byte, decoded once). It handles only
 * the common case and returns undefined for everything else (a short or long body, an unknown enum
 * index, a varint longer than 7 bytes, a negative string length), so the caller's generic decode
 * gives the same value or the same error as before. Null when `type` is not the Trade layout.
 */
export function tradeReader(type: avro.Type): TradeReader | null {
  if (!LITTLE_ENDIAN || !(type instanceof avro.types.RecordType)) return null;
  const fields = type.fields;
  if (fields.length !== LAYOUT.length || fields.some((f, i) => f.name !== LAYOUT[i]![0] || f.type.typeName !== LAYOUT[i]![1])) return null;
  const side = fields[5]!.type as avro.types.EnumType;
  const symbols = side.symbols;
  const Trade = type.recordConstructor as new (...args: unknown[]) => object;
  const keys = new KeyInterner();
  const f64 = new Float64Array(1);
  const f64Bytes = new Uint8Array(f64.buffer);
  // The position after the last varint read, or -1 once anything was out of the common case.
  let at = 0;

  // avsc's Tap.readLong (lib/utils.js), bounded to the bytes and to 7 of them.
  const readLong = (buf: Uint8Array, p: number): number => {
    const len = buf.length;
    const end = p + MAX_VARINT;
    let n = 0;
    let k = 0;
    let b = 0;
    let h = 0;
    do {
      if (p >= len) return fail();
      b = buf[p++] as number;
      h = b & 0x80;
      n |= (b & 0x7f) << k;
      k += 7;
    } while (h && k < 28);
    if (h) {
      let f = n;
      let fk = 268435456;
      do {
        if (p >= len || p >= end) return fail();
        b = buf[p++] as number;
        f += (b & 0x7f) * fk;
        fk *= 128;
      } while (b & 0x80);
      at = p;
      return (f % 2 ? -(f + 1) : f) / 2;
    }
    at = p;
    return (n >> 1) ^ -(n & 1);
  };
  const readDouble = (buf: Uint8Array, p: number): number => {
    for (let j = 0; j < 8; j++) f64Bytes[j] = buf[p + j] as number;
    return f64[0] as number;
  };
  function fail(): number {
    at = -1;
    return 0;
  }

  return (buf, start) => {
    // Fields in schema order, as avsc's reader reads them.
    const tsEvent = readLong(buf, start);
    if (at < 0) return undefined;
    const tsInit = readLong(buf, at);
    if (at < 0) return undefined;
    const symbolLength = readLong(buf, at);
    if (at < 0 || symbolLength < 0) return undefined;
    const p = at + symbolLength;
    if (p + 16 > buf.length) return undefined;
    const symbol = keys.intern(buf, at, p);
    const price = readDouble(buf, p);
    const size = readDouble(buf, p + 8);
    const side = symbols[readLong(buf, p + 16)];
    if (at < 0 || side === undefined) return undefined;
    const tradeId = readLong(buf, at);
    if (at !== buf.length) return undefined;
    return new Trade(tsEvent, tsInit, symbol, price, size, side, tradeId);
  };
}
