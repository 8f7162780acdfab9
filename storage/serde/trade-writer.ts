import avro from 'avsc';

/**
 * Writes the Avro body of a Trade into `buf` at `pos` and returns the position after it, or -1
 * when the value is not the common case or does not fit (nothing meaningful written then; the
 * caller's avsc encode gives the same bytes or the same error).
 */
export type TradeWriter = (value: object, buf: Uint8Array, pos: number) => number;

/** The Trade schema's fields, in order, as (name, avsc type name): the only layout written here. */
const LAYOUT: readonly (readonly [string, string])[] = [
  ['tsEvent', 'long'], ['tsInit', 'long'], ['symbol', 'string'], ['price', 'double'], ['size', 'double'], ['side', 'enum'], ['tradeId', 'long'],
];
/** avsc 5.7's isSafeLong (lib/types.js): the longs it writes from a JS number. */
const MAX_LONG = 9007199254740990;
/** Most bytes of one varint of a long within ±MAX_LONG (zigzag 2^54 needs 8). */
const MAX_VARINT = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface TradeFields {
  tsEvent: unknown;
  tsInit: unknown;
  symbol: unknown;
  price: unknown;
  size: unknown;
  side: unknown;
  tradeId: unknown;
}

/**
 * The ingest's most frequent write, without avsc's generic path (a Tap, a per-field type check
 * through the record's generated writer, the symbol's UTF-8 encoded every time): the same bytes
 * in the same way as avsc 5.7 writes them (Tap.writeLong's zigzag varint, little-endian doubles,
 * the enum's index as a long, a string as its byte length then its UTF-8). It takes only the
 * common case: longs that are integers within avsc's safe range, finite doubles, an ASCII
 * symbol, a side among the enum's symbols; anything else returns -1 and avsc decides (the same
 * bytes, or the same error). test/unit/serde/trade-writer.test.ts compares it with avsc byte for
 * byte. Null when `type` is not the Trade layout.
 */
export function tradeWriter(type: avro.Type): TradeWriter | null {
  if (!LITTLE_ENDIAN || !(type instanceof avro.types.RecordType)) return null;
  const fields = type.fields;
  if (fields.length !== LAYOUT.length || fields.some((f, i) => f.name !== LAYOUT[i]![0] || f.type.typeName !== LAYOUT[i]![1])) return null;
  const sides = (fields[5]!.type as avro.types.EnumType).symbols;
  const f64 = new Float64Array(1);
  const f64Bytes = new Uint8Array(f64.buffer);
  // The last symbol written and its encoded length prefix + bytes (ingest writes one symbol per file).
  let lastSymbol = '';
  let lastSymbolBytes = new Uint8Array([0]);

  const longOk = (n: unknown): n is number => typeof n === 'number' && n % 1 === 0 && n >= -MAX_LONG && n <= MAX_LONG;
  const doubleOk = (d: unknown): d is number => typeof d === 'number' && Number.isFinite(d);

  // avsc's Tap.writeLong (lib/utils.js), the same two branches: 7 bits a byte, low first, the
  // high bit set on every byte but the last. Returns the position after the last byte.
  const writeLong = (buf: Uint8Array, pos: number, n: number): number => {
    if (n >= -1073741824 && n < 1073741824) {
      let m = n >= 0 ? n << 1 : (~n << 1) | 1;
      for (;;) {
        const b = m & 0x7f;
        m >>= 7;
        if (m === 0) {
          buf[pos] = b;
          return pos + 1;
        }
        buf[pos++] = b | 0x80;
      }
    }
    let f = n >= 0 ? n * 2 : -n * 2 - 1;
    for (;;) {
      const b = f & 0x7f;
      f /= 128;
      if (f < 1) {
        buf[pos] = b;
        return pos + 1;
      }
      buf[pos++] = b | 0x80;
    }
  };
  const writeDouble = (buf: Uint8Array, pos: number, d: number): number => {
    f64[0] = d;
    for (let j = 0; j < 8; j++) buf[pos + j] = f64Bytes[j] as number;
    return pos + 8;
  };
  const symbolBytes = (s: string): Uint8Array | null => {
    if (s === lastSymbol) return lastSymbolBytes;
    if (s.length > 1 << 16) return null;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return null;
    const head = new Uint8Array(MAX_VARINT);
    const h = writeLong(head, 0, s.length);
    const out = new Uint8Array(h + s.length);
    out.set(head.subarray(0, h));
    for (let i = 0; i < s.length; i++) out[h + i] = s.charCodeAt(i);
    lastSymbol = s;
    lastSymbolBytes = out;
    return out;
  };

  return (value, buf, pos) => {
    if (value === null || typeof value !== 'object') return -1;
    const { tsEvent, tsInit, symbol, price, size, side, tradeId } = value as TradeFields;
    if (!longOk(tsEvent) || !longOk(tsInit) || typeof symbol !== 'string' || !doubleOk(price) || !doubleOk(size) || !longOk(tradeId)) return -1;
    const sideIndex = side === sides[0] ? 0 : side === sides[1] ? 1 : typeof side === 'string' ? sides.indexOf(side) : -1;
    if (sideIndex < 0) return -1;
    const sym = symbolBytes(symbol);
    if (sym === null || pos + 4 * MAX_VARINT + sym.length + 16 > buf.length) return -1;
    let p = writeLong(buf, pos, tsEvent);
    p = writeLong(buf, p, tsInit);
    buf.set(sym, p);
    p = writeDouble(buf, p + sym.length, price);
    p = writeDouble(buf, p, size);
    p = writeLong(buf, p, sideIndex);
    return writeLong(buf, p, tradeId);
  };
}
