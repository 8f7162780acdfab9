import type { Database, DatabaseOptions, RootDatabase } from 'lmdb';
import { partitionFor, type AppendRecord, type LogRecord, type RecordPosition } from './event-log.ts';
import { LogError } from './log-error.ts';
import { StoredBlock, StoredBlockWriter, storedCount, storedRecordEncoding, type StoredFrames, type StoredRecordEncoding } from './stored-record.ts';
import type { ChunkState, TimeIndex } from './time-index.ts';

/** uint32 lmdb keys: the last offset a partition can hold. */
const MAX_OFFSET = 0xffff_ffff;
/** MDB_APPEND: offsets only grow, and lmdb refuses (instead of overwriting) a key that is not last. */
const APPEND = { append: true } as const;
const PARTITION_CACHE_LIMIT = 100_000;
/** Records per read when scanning for a timestamp (firstAtOrAfter). */
const SCAN_BATCH = 1024;

/** One topic's partition databases, and the record-level work of the embedded log. */
export class TopicHandle {
  private readonly partitionDbs: Database<LogRecord | StoredBlock, number>[] = [];
  private readonly encodings: StoredRecordEncoding[] = [];
  /** Per partition: the value an append is building (stored-record.ts: blocks of records). */
  private readonly blocks: StoredBlockWriter[] = [];
  /** Per partition: the last block readRange read (its offset and record count). */
  private readonly lastBlocks: ({ key: number; count: number } | undefined)[] = [];
  /** partitionFor(key) hashes the UTF-8 key; the few distinct keys (symbols) are cached. */
  private readonly keyPartitions = new Map<string, number>();

  constructor(
    env: RootDatabase,
    readonly topic: string,
    readonly partitions: number,
  ) {
    for (let p = 0; p < partitions; p++) {
      const encoder = storedRecordEncoding(topic, p);
      const options = { name: `records/${topic}/${p}`, keyEncoding: 'uint32', encoder };
      this.encodings.push(encoder);
      this.partitionDbs.push(env.openDB<LogRecord | StoredBlock, number>(options as DatabaseOptions & { name: string }));
    }
  }

  partitionOf(key: string): number {
    let p = this.keyPartitions.get(key);
    if (p === undefined) {
      if (this.keyPartitions.size >= PARTITION_CACHE_LIMIT) this.keyPartitions.clear();
      p = partitionFor(key, this.partitions);
      this.keyPartitions.set(key, p);
    }
    return p;
  }

  /** Offset the next record of the partition gets (read in the current transaction, if any). */
  endOffset(partition: number): number {
    const db = this.db(partition);
    const last = this.lastKeyAtOrBefore(db, MAX_OFFSET);
    if (last === undefined) return 0;
    // The raw value: its count is in its first bytes (a block), without copying or decoding it.
    const raw = db.getBinaryFast(last) as Uint8Array | undefined;
    if (raw === undefined) throw new LogError(`${this.topic}/${partition}: the value at offset ${last} vanished between two reads`);
    return last + storedCount(raw);
  }

  /** Inside a write transaction: appends the records and their time-index entries. */
  write(records: readonly AppendRecord[], index: TimeIndex): RecordPosition[] {
    const next = new Array<number>(this.partitions).fill(-1);
    const chunks = new Array<ChunkState | undefined>(this.partitions);
    const positions = new Array<RecordPosition>(records.length);
    try {
      for (let i = 0; i < records.length; i++) {
        const record = records[i]!;
        const p = this.partitionOf(record.key);
        let offset = next[p]!;
        if (offset < 0) {
          offset = this.endOffset(p);
          chunks[p] = index.begin(this.topic, p, offset);
        }
        if (offset > MAX_OFFSET) throw new LogError(`${this.topic}/${p} is full (${MAX_OFFSET + 1} records)`);
        const block = (this.blocks[p] ??= new StoredBlockWriter());
        if (!block.fits(record)) this.store(p, block);
        block.add(offset, record);
        index.observe(chunks[p]!, offset, record.timestamp);
        positions[i] = { partition: p, offset };
        next[p] = offset + 1;
      }
      for (let p = 0; p < this.partitions; p++) {
        const block = this.blocks[p];
        if (block !== undefined && block.count > 0) this.store(p, block);
      }
    } finally {
      // An append that threw rolls back: nothing it built is kept for the next.
      for (const block of this.blocks) block?.reset();
    }
    for (const chunk of chunks) if (chunk) index.finish(chunk);
    return positions;
  }

  /** Records with offsets in [from, to) in one short read. */
  readRange(partition: number, from: number, to: number): LogRecord[] {
    const out: LogRecord[] = [];
    if (to <= from) return out;
    const db = this.db(partition);
    const encoding = this.encodings[partition]!;
    const start = this.rangeStart(db, partition, from);
    for (const { key, value } of db.getRange({ start, end: to })) {
      if (value instanceof StoredBlock) {
        encoding.records(value, key, from, to, out);
        this.lastBlocks[partition] = { key, count: value.count };
      } else if (key >= from) {
        value.offset = key;
        out.push(value);
      }
    }
    return out;
  }

  /**
   * The records of [from, to) as readRange gives them, copied as stored into `frames` (reset
   * first) and read back frame by frame (StoredFrames, D173): no record object per record.
   */
  readFrames(partition: number, from: number, to: number, frames: StoredFrames): void {
    frames.reset(from, to);
    if (to <= from) return;
    const db = this.db(partition);
    const encoding = this.encodings[partition]!;
    const start = this.rangeStart(db, partition, from);
    encoding.capture(frames);
    try {
      for (const { key } of db.getRange({ start, end: to })) {
        frames.base(key);
        const count = frames.lastCount();
        if (count > 1) this.lastBlocks[partition] = { key, count };
      }
    } finally {
      encoding.capture(null);
    }
  }

  /** First offset >= `from` whose timestamp is >= ts (the time index bounds the scan). */
  firstAtOrAfter(partition: number, from: number, ts: number): number {
    const end = this.endOffset(partition);
    for (let at = from; at < end; ) {
      const batch = this.readRange(partition, at, Math.min(at + SCAN_BATCH, end));
      if (batch.length === 0) break;
      for (const r of batch) if (r.timestamp >= ts) return r.offset;
      at = batch[batch.length - 1]!.offset + 1;
    }
    return end;
  }

  /** Puts the partition's built value at the offset of its first record. */
  private store(partition: number, block: StoredBlockWriter): void {
    const first = block.first;
    // Inside a transaction putSync writes at once and (untyped) returns false if lmdb refused.
    const written = this.partitionDbs[partition]!.putSync(first, block.take() as unknown as LogRecord, APPEND) as unknown as boolean;
    if (!written) throw new LogError(`${this.topic}/${partition}: offset ${first} is not past the end of the partition`);
  }

  /**
   * Where a read of the partition from `from` starts: the value holding `from` is the last one
   * stored at or before it (a block may start earlier); a sequential reader's next range starts in
   * the last block it read, or right after it (stored values never change), else it is looked up.
   */
  private rangeStart(db: Database<LogRecord | StoredBlock, number>, partition: number, from: number): number {
    const seen = this.lastBlocks[partition];
    return seen !== undefined && from >= seen.key && from <= seen.key + seen.count ? (from === seen.key + seen.count ? from : seen.key) : (this.lastKeyAtOrBefore(db, from) ?? from);
  }

  /** The greatest key <= `at` in the partition's database, if any. */
  private lastKeyAtOrBefore(db: Database<LogRecord | StoredBlock, number>, at: number): number | undefined {
    // An explicit inclusive end: lmdb-js 3.5's default reverse end for uint32 keys skips key 0.
    for (const key of db.getKeys({ start: at, end: 0, reverse: true, limit: 1, inclusiveEnd: true })) return key;
    return undefined;
  }

  private db(partition: number): Database<LogRecord | StoredBlock, number> {
    const db = this.partitionDbs[partition];
    if (!db) throw new LogError(`${this.topic} has ${this.partitions} partitions, no partition ${partition}`);
    return db;
  }
}
