import avro from 'avsc';
import { KeyInterner } from '../log/stored-record.ts';
import { LITTLE_ENDIAN, LongReader } from './avro-bytes.ts';

/**
 * Reads the Avro body of a record at [start, end) of `bytes` (end: the end of `bytes` unless
 * given); undefined = not the common case. `reuse`: a value this reader returned before that
 * nobody uses any more; a reader may overwrite its fields and return it instead of a new record
 * (the trade reader does). A body that would read past `end` is not the common case: the reader
 * gives what it gives on the bytes cut at `end`.
 */
export type TradeReader = (bytes: Uint8Array, start: number, reuse?: object, end?: number) => object | undefined;

/** The Trade schema's fields, in order, as (name, avsc type name): the only layout read here. */
/** The fields the reader writes, as avsc's record class has them. */
interface Trade {
  tsEvent: number;
  tsInit: number;
  symbol: string;
  price: number;
  size: number;
  side: string;
  tradeId: number;
}

const LAYOUT: readonly (readonly [string, string])[] = [
  ['tsEvent', 'long'], ['tsInit', 'long'], ['symbol', 'string'], ['price', 'double'], ['size', 'double'], ['side', 'enum'], ['tradeId', 'long'],
];

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
  // A plain copy: element loads from avsc's own (frozen) array measured slower.
  const symbols = [...side.symbols];
  const Trade = type.recordConstructor as new (...args: unknown[]) => Trade;
  const keys = new KeyInterner();
  // The position after the last long read is longs.at, -1 once anything was out of the common case.
  const longs = new LongReader();
  // Doubles through a DataView over the whole ArrayBuffer of the last bytes read: the replay's
  // values are views of a few buffers (a block, the reader thread's frames, the hand-off's chunks),
  // so one view serves a run of records (copying the 8 bytes into a scratch Float64Array measured
  // ~17 ns a double against ~4-6 through a view, D173).
  let lastBuffer: ArrayBufferLike | null = null;
  let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));
  const readDouble = (buf: Uint8Array, p: number): number => {
    if (buf.buffer !== lastBuffer) {
      lastBuffer = buf.buffer;
      view = new DataView(lastBuffer);
    }
    return view.getFloat64(buf.byteOffset + p, true);
  };

  return (buf, start, reuse, end = buf.length) => {
    // Fields in schema order, as avsc's reader reads them.
    const tsEvent = longs.read(buf, start);
    if (longs.at < 0) return undefined;
    const tsInit = longs.read(buf, longs.at);
    if (longs.at < 0) return undefined;
    const symbolLength = longs.read(buf, longs.at);
    if (longs.at < 0 || symbolLength < 0) return undefined;
    const p = longs.at + symbolLength;
    if (p + 16 > end) return undefined;
    const symbol = keys.intern(buf, longs.at, p);
    const price = readDouble(buf, p);
    const size = readDouble(buf, p + 8);
    const side = symbols[longs.read(buf, p + 16)];
    if (longs.at < 0 || side === undefined) return undefined;
    const tradeId = longs.read(buf, longs.at);
    if (longs.at !== end) return undefined;
    if (reuse instanceof Trade) {
      // Same fields, same order, same class: indistinguishable from a new record (replay hands
      // back the trade the graph has finished with, one object per partition instead of one per trade).
      const t = reuse;
      t.tsEvent = tsEvent;
      t.tsInit = tsInit;
      t.symbol = symbol;
      t.price = price;
      t.size = size;
      t.side = side;
      t.tradeId = tradeId;
      return t;
    }
    return new Trade(tsEvent, tsInit, symbol, price, size, side, tradeId);
  };
}
