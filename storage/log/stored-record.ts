import type { AppendRecord, LogRecord } from './event-log.ts';
import { LogError } from './log-error.ts';

/**
 * How one record is stored as the value of its partition database (the lmdb key is the offset):
 *
 *   [0]       format version, 1
 *   [1..8]    timestamp, float64 little-endian (epoch ms, exact up to 2^53)
 *   [9..10]   key length in bytes, uint16 little-endian
 *   [11..]    key (UTF-8), then the value bytes unchanged
 */
const FORMAT = 1;
const HEADER = 11;
export const MAX_KEY_BYTES = 0xffff;

/** Node's Buffer method behind toString('utf8', ...), without its argument handling (untyped). */
type FastBuffer = Buffer & { utf8Slice(start: number, end: number): string };

/** Frames records into one reusable buffer; each frame is valid until the next call. */
export class StoredRecordWriter {
  private scratch = Buffer.allocUnsafe(64 * 1024);
  /** The previous record's key and its UTF-8 bytes (an append's records mostly share one key). */
  private lastKey = '';
  private lastKeyBytes: Buffer = Buffer.alloc(0);

  /**
   * lmdb-js copies the value synchronously when `put` runs inside a write transaction, which is
   * the only place this is used, so reusing the buffer avoids one allocation per record.
   */
  frame(record: AppendRecord): Buffer {
    const { key, value } = record;
    const worst = HEADER + key.length * 3 + value.length;
    if (worst > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(worst, this.scratch.length * 2));
    const s = this.scratch;
    s[0] = FORMAT;
    s.writeDoubleLE(record.timestamp, 1);
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastKeyBytes = Buffer.from(key, 'utf8');
    }
    const keyBytes = this.lastKeyBytes.length;
    s.set(this.lastKeyBytes, HEADER);
    s.writeUInt16LE(keyBytes, 9);
    s.set(value, HEADER + keyBytes);
    return s.subarray(0, HEADER + keyBytes + value.length);
  }
}

/**
 * The lmdb-js `encoder` of a partition database. lmdb-js hands `decode` its shared read buffer
 * (valid only during the call), so the record is built straight from it: one copy of the value
 * bytes per record, no intermediate Buffer; keys (symbols: a few per partition) are interned. `offset` is filled by the reader
 * from the lmdb key.
 */
export function storedRecordEncoding(topic: string, partition: number) {
  const keys = new KeyInterner();
  return {
    encode(value: Uint8Array): Uint8Array {
      return value;
    },
    decode(bytes: Buffer, size: number): LogRecord {
      if (bytes[0] !== FORMAT || size < HEADER) {
        throw new LogError(`corrupt record in ${topic}/${partition}: format ${bytes[0]}, ${size} bytes`);
      }
      const keyEnd = HEADER + (bytes[9]! | (bytes[10]! << 8));
      return {
        topic,
        partition,
        offset: -1,
        key: keys.intern(bytes, HEADER, keyEnd),
        timestamp: bytes.readDoubleLE(1),
        // Uint8Array's slice copies (Buffer's would be a view of lmdb's shared buffer).
        value: Uint8Array.prototype.slice.call(bytes, keyEnd, size),
      };
    },
  };
}

/**
 * Record keys are symbols, a handful per partition: each distinct key is decoded from UTF-8 once
 * and its string reused whenever the same bytes come again (compared byte for byte, so the
 * string is always exactly what decoding would give). A few recent keys are kept.
 */
export class KeyInterner {
  private readonly bytes: Uint8Array[] = [];
  private readonly strings: string[] = [];
  private next = 0;

  constructor(private readonly size = 16) {}

  intern(buf: Uint8Array, start: number, end: number): string {
    const len = end - start;
    for (let j = 0; j < this.bytes.length; j++) {
      const b = this.bytes[j] as Uint8Array;
      if (b.length !== len) continue;
      let k = 0;
      while (k < len && b[k] === buf[start + k]) k++;
      if (k === len) return this.strings[j] as string;
    }
    const s = ((Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) as FastBuffer).utf8Slice(start, end);
    const copy = Uint8Array.prototype.slice.call(buf, start, end);
    if (this.bytes.length < this.size) {
      this.bytes.push(copy);
      this.strings.push(s);
    } else {
      this.bytes[this.next] = copy;
      this.strings[this.next] = s;
      this.next = (this.next + 1) % this.size;
    }
    return s;
  }
}
