import type { AppendRecord, LogRecord } from './event-log.ts';
import { LogError } from './log-error.ts';
import { bufferView } from '../../lib/bytes.ts';

/**
 * How records are stored as the values of their partition database (the lmdb key is an offset).
 * A value is one record (format 1) or a block of consecutive records (format 2), told apart by
 * its first byte:
 *
 *   format 1, one record at the key's offset (a "frame"):
 *     [0]       1
 *     [1..8]    timestamp, float64 little-endian (epoch ms, exact up to 2^53)
 *     [9..10]   key length in bytes, uint16 little-endian
 *     [11..]    key (UTF-8), then the value bytes unchanged
 *
 *   format 2, records at the key's offset and the ones after it (D171):
 *     [0]       2
 *     [1..4]    record count n >= 2, uint32 little-endian
 *     [5..]     n times: frame length, uint32 little-endian, then a format-1 frame
 *
 * lmdb-js reads one value per native call (~300 ns each, docs/benchmarks.md tenth round); a block
 * of up to BLOCK_RECORDS records costs one. Blocks are cut from one append's records of one
 * partition and never rewritten: an append of one record (live) stores a format-1 value as before.
 */
const FORMAT = 1;
const BLOCK = 2;
const HEADER = 11;
const BLOCK_HEADER = 5;
export const MAX_KEY_BYTES = 0xffff;
/** A block holds at most this many records, and is cut before its frames pass BLOCK_BYTES. */
export const BLOCK_RECORDS = 256;
export const BLOCK_BYTES = 32 * 1024;

/** Node's Buffer method behind toString('utf8', ...), without its argument handling (untyped). */
type FastBuffer = Buffer & { utf8Slice(start: number, end: number): string };

/**
 * Builds one partition's next value from an append's records: a block, or one record's frame.
 * `fits` says whether a record joins the value being built; `take` returns it (valid until the
 * next add: lmdb-js copies a value synchronously when `put` runs inside a write transaction, the
 * only place this is used, so one buffer serves every value).
 */
export class StoredBlockWriter {
  private buf = Buffer.allocUnsafe(BLOCK_HEADER + BLOCK_BYTES + 1024);
  private at = BLOCK_HEADER;
  /** Records in the value being built, and the offset of its first. */
  count = 0;
  first = -1;
  /** The previous record's key and its UTF-8 bytes (an append's records mostly share one key). */
  private lastKey = '';
  private lastKeyBytes: Buffer = Buffer.alloc(0);

  /** Whether `record` joins the value being built (an empty one takes any record). */
  fits(record: AppendRecord): boolean {
    return this.count === 0 || (this.count < BLOCK_RECORDS && this.endWith(record) <= BLOCK_HEADER + BLOCK_BYTES);
  }

  add(offset: number, record: AppendRecord): void {
    const { key, value } = record;
    if (this.count === 0) this.first = offset;
    const worst = this.endWith(record);
    if (worst > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(worst, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
    }
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastKeyBytes = Buffer.from(key, 'utf8');
    }
    const b = this.buf;
    const s = this.at + 4;
    const keyBytes = this.lastKeyBytes.length;
    b[s] = FORMAT;
    b.writeDoubleLE(record.timestamp, s + 1);
    b.writeUInt16LE(keyBytes, s + 9);
    b.set(this.lastKeyBytes, s + HEADER);
    b.set(value, s + HEADER + keyBytes);
    const end = s + HEADER + keyBytes + value.length;
    b.writeUInt32LE(end - s, this.at);
    this.at = end;
    this.count++;
  }

  /** The value built so far (format 1 for a single record, else a block), and a fresh start. */
  take(): Buffer {
    const b = this.buf;
    const value = this.count === 1 ? b.subarray(BLOCK_HEADER + 4, this.at) : b.subarray(0, this.at);
    if (this.count > 1) {
      b[0] = BLOCK;
      b.writeUInt32LE(this.count, 1);
    }
    this.reset();
    return value;
  }

  /** Where the value would end at most with `record` added (its key at 3 UTF-8 bytes a character). */
  private endWith(record: AppendRecord): number {
    return this.at + 4 + HEADER + record.key.length * 3 + record.value.length;
  }

  /** Drops what was added (an append that failed). */
  reset(): void {
    this.at = BLOCK_HEADER;
    this.count = 0;
    this.first = -1;
  }
}

/** A format-2 value as read: a copy of its bytes; its records are taken out with `records`. */
export class StoredBlock {
  constructor(
    readonly bytes: Uint8Array,
    readonly count: number,
  ) {}
}

/** Records in a value stored at `key` (the raw bytes, as lmdb-js's getBinaryFast gives them), the value starting at `at`. */
export function storedCount(raw: Uint8Array, at = 0): number {
  return raw[at] === BLOCK ? ((raw[at + 1] as number) | ((raw[at + 2] as number) << 8) | ((raw[at + 3] as number) << 16)) + (raw[at + 4] as number) * 0x1000000 : 1;
}

export interface StoredRecordEncoding {
  encode(value: Uint8Array): Uint8Array;
  decode(bytes: Buffer, size: number): LogRecord | StoredBlock;
  /** Appends to `out` the records of `block` (stored at offset `base`) with offsets in [from, to). */
  records(block: StoredBlock, base: number, from: number, to: number, out: LogRecord[]): void;
  /**
   * While `frames` is set, `decode` copies each value it is given into it and returns CAPTURED
   * instead of decoding it (TopicHandle.readFrames); null restores decoding.
   */
  capture(frames: StoredFrames | null): void;
}

/** What `decode` returns for a value it copied into the frames being captured. */
export const CAPTURED = new StoredBlock(new Uint8Array(0), 0);

/**
 * The lmdb-js `encoder` of a partition database. lmdb-js hands `decode` its shared read buffer
 * (valid only during the call), so a record is built straight from it: one copy of the value
 * bytes per record, no intermediate Buffer; a block is copied once and its records' values are
 * views of that copy. Keys (symbols: a few per partition) are interned. `offset` is filled by the
 * reader from the lmdb key.
 */
export function storedRecordEncoding(topic: string, partition: number): StoredRecordEncoding {
  const keys = new KeyInterner();
  const corrupt = (detail: string): LogError => new LogError(`corrupt record in ${topic}/${partition}: ${detail}`);
  let shared: Buffer | null = null;
  let plain: Uint8Array = new Uint8Array(0);
  let sharedView: DataView = new DataView(new ArrayBuffer(0));
  /**
   * The record in the frame at [s, end) of `src` (its version and length checked by the caller):
   * its value a copy (`copy`) or a view of `src`; null when its key runs past `end`. Single records
   * and a block's records are read by this one function.
   */
  const fromFrame = (src: Uint8Array, view: DataView, s: number, end: number, offset: number, copy: boolean): LogRecord | null => {
    const keyEnd = keyEndOf(src, s, end);
    if (keyEnd < 0) return null;
    return {
      topic,
      partition,
      offset,
      key: keys.intern(src, s + HEADER, keyEnd),
      timestamp: view.getFloat64(s + 1, true),
      // A copy with Uint8Array's slice on a plain Uint8Array: a plain Uint8Array, and a small one
      // on V8's heap. A view: ~40 ns to make, against ~75-90 for a Buffer view. Either is
      // LogRecord.value's type; where a Buffer is needed (avsc's `bytes`), bufferView wraps it.
      value: copy ? Uint8Array.prototype.slice.call(src, keyEnd, end) : new Uint8Array(src.buffer, src.byteOffset + keyEnd, end - keyEnd),
    };
  };
  let capturing: StoredFrames | null = null;
  return {
    encode(value: Uint8Array): Uint8Array {
      return value;
    },
    capture(frames: StoredFrames | null): void {
      capturing = frames;
    },
    decode(bytes: Buffer, size: number): LogRecord | StoredBlock {
      // Copies are taken from a plain Uint8Array over lmdb's shared buffer (made again only when
      // lmdb replaces that buffer): a Buffer's slice would be a Buffer, and ArrayBuffer.prototype.slice
      // always allocates outside V8's heap (a format-1 log then read at half the rate, measured).
      if (bytes !== shared) {
        shared = bytes;
        plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        sharedView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      if (capturing !== null) {
        capturing.add(plain, size);
        return CAPTURED;
      }
      if (bytes[0] === BLOCK && size >= BLOCK_HEADER) return new StoredBlock(Uint8Array.prototype.slice.call(plain, 0, size), storedCount(bytes));
      if (bytes[0] !== FORMAT || size < HEADER) throw corrupt(`format ${bytes[0]}, ${size} bytes`);
      const r = fromFrame(plain, sharedView, 0, size, -1, true);
      if (r === null) throw corrupt(`format 1: the key runs past the record's ${size} bytes`);
      return r;
    },
    records(block: StoredBlock, base: number, from: number, to: number, out: LogRecord[]): void {
      const b = block.bytes;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const n = block.count;
      let at = BLOCK_HEADER;
      for (let j = 0; j < n; j++) {
        const offset = base + j;
        if (offset >= to) return;
        const s = at + 4;
        const end = blockFrameEnd(b, view, at, b.length);
        if (end < 0) throw corrupt(blockProblem(base, j, n, end));
        at = end;
        if (offset < from) continue;
        const r = fromFrame(b, view, s, end, offset, false);
        if (r === null) throw corrupt(blockProblem(base, j, n, KEY_PAST_END));
        out.push(r);
      }
    },
  };
}

/** blockFrameEnd's answers for a block's frame that is not there: the block ends first, or no frame. */
const ENDS_BEFORE = -1;
const NOT_A_FRAME = -2;
/** A frame whose key runs past its end. */
const KEY_PAST_END = -3;

/**
 * The end of a block's frame whose length field is at `at` (the block's bytes ending at `stop`),
 * or ENDS_BEFORE / NOT_A_FRAME: the one check of a block's frames, for `records` and StoredFrames.
 */
function blockFrameEnd(b: Uint8Array, view: DataView, at: number, stop: number): number {
  if (at + 4 > stop) return ENDS_BEFORE;
  const s = at + 4;
  const end = s + view.getUint32(at, true);
  return end > stop || end - s < HEADER || b[s] !== FORMAT ? NOT_A_FRAME : end;
}

/** What is wrong with a block's record j of n (a blockFrameEnd answer, or KEY_PAST_END). */
function blockProblem(base: number, j: number, n: number, problem: number): string {
  if (problem === ENDS_BEFORE) return `block at ${base} ends before its record ${j} of ${n}`;
  return `block at ${base}: record ${j} of ${n} ${problem === NOT_A_FRAME ? 'is not a frame' : 'has a key past its end'}`;
}

/** Where the key of the frame at [s, end) of `b` ends, or -1 when it runs past `end`. */
function keyEndOf(b: Uint8Array, s: number, end: number): number {
  const keyEnd = s + HEADER + ((b[s + 9] as number) | ((b[s + 10] as number) << 8));
  return keyEnd > end ? -1 : keyEnd;
}

/**
 * A partition's stored values copied into one buffer, reused from read to read, and read back
 * frame by frame: the records `read` would give, as spans of that buffer instead of a record
 * object and a value view each (replay's reader thread, D173). `next()` moves to the next record
 * in [from, to) and sets `offset`, `timestamp` and the key's and value's spans of `bytes`; the
 * spans are valid until the next read into these frames. Corrupt values fail as `records` does.
 */
export class StoredFrames {
  /** The stored values, one after the other. */
  bytes = new Uint8Array(64 * 1024);
  private used = 0;
  private view = new DataView(this.bytes.buffer);
  /** Per value: where it starts in `bytes` and the offset of its first record. */
  private readonly starts: number[] = [];
  private readonly bases: number[] = [];
  private values = 0;
  private from = 0;
  private to = 0;
  /** The value being read, its end, its next frame's length field and the records left in it. */
  private v = -1;
  private stop = 0;
  private at = 0;
  private left = 0;
  private count = 0;
  private nextOffset = 0;
  /** The current record. */
  offset = -1;
  timestamp = 0;
  keyStart = 0;
  keyEnd = 0;
  valueStart = 0;
  valueEnd = 0;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  /** Empties the frames for a read of the records in [from, to). */
  reset(from: number, to: number): void {
    this.used = 0;
    this.values = 0;
    this.from = from;
    this.to = to;
    this.v = -1;
    this.left = 0;
    this.offset = -1;
  }

  /**
   * Copies a stored value, the first `size` bytes of `raw` (lmdb-js's shared buffer may be longer,
   * and its `length` property set to the value's size); its first record's offset is set by base().
   */
  add(raw: Uint8Array, size: number): void {
    if (this.used + size > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.used + size, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.bytes.set(raw.subarray(0, size), this.used);
    this.starts[this.values] = this.used;
    this.values++;
    this.used += size;
  }

  /** The offset of the last value added's first record (the lmdb key it is stored at). */
  base(offset: number): void {
    this.bases[this.values - 1] = offset;
  }

  /** Records in the last value added. */
  lastCount(): number {
    return storedCount(this.bytes, this.starts[this.values - 1]);
  }

  /** Moves to the next record in [from, to); false when there is none. */
  next(): boolean {
    const b = this.bytes;
    for (;;) {
      if (this.left > 0) {
        // The next frame of a block: its record j of n.
        const at = this.at;
        const offset = this.nextOffset++;
        this.left--;
        if (offset >= this.to) return this.finish();
        const s = at + 4;
        const end = blockFrameEnd(b, this.view, at, this.stop);
        if (end < 0) throw this.corruptRecord(offset, end);
        this.at = end;
        if (offset < this.from) continue;
        if (!this.frame(s, end, offset)) throw this.corruptRecord(offset, KEY_PAST_END);
        return true;
      }
      if (++this.v >= this.values) return this.finish();
      const s = this.starts[this.v] as number;
      const end = this.v + 1 < this.values ? (this.starts[this.v + 1] as number) : this.used;
      const base = this.bases[this.v] as number;
      if (b[s] === BLOCK && end - s >= BLOCK_HEADER) {
        this.count = this.left = storedCount(b, s);
        this.at = s + BLOCK_HEADER;
        this.stop = end;
        this.nextOffset = base;
        continue;
      }
      if (b[s] !== FORMAT || end - s < HEADER) throw this.corrupt(`format ${b[s]}, ${end - s} bytes`);
      if (base < this.from) continue;
      if (base >= this.to) return this.finish();
      if (!this.frame(s, end, base)) throw this.corrupt(`format 1: the key runs past the record's ${end - s} bytes`);
      return true;
    }
  }

  private frame(s: number, end: number, offset: number): boolean {
    const keyEnd = keyEndOf(this.bytes, s, end);
    if (keyEnd < 0) return false;
    this.offset = offset;
    this.timestamp = this.view.getFloat64(s + 1, true);
    this.keyStart = s + HEADER;
    this.keyEnd = keyEnd;
    this.valueStart = keyEnd;
    this.valueEnd = end;
    return true;
  }

  private finish(): false {
    this.v = this.values;
    this.left = 0;
    this.offset = -1;
    return false;
  }

  /** The block's record at `offset` is not usable (blockProblem), as `records` says it. */
  private corruptRecord(offset: number, problem: number): LogError {
    const base = this.bases[this.v] as number;
    return this.corrupt(blockProblem(base, offset - base, this.count, problem));
  }

  private corrupt(detail: string): LogError {
    return new LogError(`corrupt record in ${this.topic}/${this.partition}: ${detail}`);
  }
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

  /** The entry the previous call returned: consecutive records mostly share their key. */
  private last = -1;

  intern(buf: Uint8Array, start: number, end: number): string {
    const len = end - start;
    const last = this.last;
    if (last >= 0) {
      const b = this.bytes[last] as Uint8Array;
      if (b.length === len) {
        let k = 0;
        while (k < len && b[k] === buf[start + k]) k++;
        if (k === len) return this.strings[last] as string;
      }
    }
    for (let j = 0; j < this.bytes.length; j++) {
      const b = this.bytes[j] as Uint8Array;
      if (b.length !== len) continue;
      let k = 0;
      while (k < len && b[k] === buf[start + k]) k++;
      if (k === len) {
        this.last = j;
        return this.strings[j] as string;
      }
    }
    const s = (bufferView(buf) as FastBuffer).utf8Slice(start, end);
    const copy = Uint8Array.prototype.slice.call(buf, start, end);
    if (this.bytes.length < this.size) {
      this.last = this.bytes.length;
      this.bytes.push(copy);
      this.strings.push(s);
    } else {
      this.last = this.next;
      this.bytes[this.next] = copy;
      this.strings[this.next] = s;
      this.next = (this.next + 1) % this.size;
    }
    return s;
  }
}
