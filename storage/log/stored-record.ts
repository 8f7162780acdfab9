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
    const keyBytes = s.write(key, HEADER, 'utf8');
    s.writeUInt16LE(keyBytes, 9);
    s.set(value, HEADER + keyBytes);
    return s.subarray(0, HEADER + keyBytes + value.length);
  }
}

/**
 * The lmdb-js `encoder` of a partition database. lmdb-js hands `decode` its shared read buffer
 * (valid only during the call), so the record is built straight from it: one copy of the value
 * bytes and one key string per record, no intermediate Buffer. `offset` is filled by the reader
 * from the lmdb key.
 */
export function storedRecordEncoding(topic: string, partition: number) {
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
        key: (bytes as FastBuffer).utf8Slice(HEADER, keyEnd),
        timestamp: bytes.readDoubleLE(1),
        // Uint8Array's slice copies (Buffer's would be a view of lmdb's shared buffer).
        value: Uint8Array.prototype.slice.call(bytes, keyEnd, size),
      };
    },
  };
}
