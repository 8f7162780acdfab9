import type { Database, DatabaseOptions, RootDatabase } from 'lmdb';
import { partitionFor, type AppendRecord, type LogRecord, type RecordPosition } from './event-log.ts';
import { LogError } from './log-error.ts';
import { StoredRecordWriter, storedRecordEncoding } from './stored-record.ts';
import type { ChunkState, TimeIndex } from './time-index.ts';

/** uint32 lmdb keys: the last offset a partition can hold. */
const MAX_OFFSET = 0xffff_ffff;
/** MDB_APPEND: offsets only grow, and lmdb refuses (instead of overwriting) a key that is not last. */
const APPEND = { append: true } as const;
const PARTITION_CACHE_LIMIT = 100_000;

/** One topic's partition databases, and the record-level work of the embedded log. */
export class TopicHandle {
  private readonly partitionDbs: Database<LogRecord, number>[] = [];
  private readonly writer = new StoredRecordWriter();
  /** partitionFor(key) hashes the UTF-8 key; the few distinct keys (symbols) are cached. */
  private readonly keyPartitions = new Map<string, number>();

  constructor(
    env: RootDatabase,
    readonly topic: string,
    readonly partitions: number,
  ) {
    for (let p = 0; p < partitions; p++) {
      const options = { name: `records/${topic}/${p}`, keyEncoding: 'uint32', encoder: storedRecordEncoding(topic, p) };
      this.partitionDbs.push(env.openDB<LogRecord, number>(options as DatabaseOptions & { name: string }));
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
    // An explicit inclusive end: lmdb-js 3.5's default reverse end for uint32 keys skips key 0.
    for (const key of this.db(partition).getKeys({ reverse: true, limit: 1, end: 0, inclusiveEnd: true })) {
      return key + 1;
    }
    return 0;
  }

  /** Inside a write transaction: appends the records and their time-index entries. */
  write(records: readonly AppendRecord[], index: TimeIndex): RecordPosition[] {
    const next = new Array<number>(this.partitions).fill(-1);
    const chunks = new Array<ChunkState | undefined>(this.partitions);
    const positions = new Array<RecordPosition>(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const p = this.partitionOf(record.key);
      let offset = next[p]!;
      if (offset < 0) {
        offset = this.endOffset(p);
        chunks[p] = index.begin(this.topic, p, offset);
      }
      if (offset > MAX_OFFSET) throw new LogError(`${this.topic}/${p} is full (${MAX_OFFSET + 1} records)`);
      // Inside a transaction putSync writes at once and (untyped) returns false if lmdb refused.
      const frame = this.writer.frame(record) as unknown as LogRecord;
      const written = this.partitionDbs[p]!.putSync(offset, frame, APPEND) as unknown as boolean;
      if (!written) {
        throw new LogError(`${this.topic}/${p}: offset ${offset} is not past the end of the partition`);
      }
      index.observe(chunks[p]!, offset, record.timestamp);
      positions[i] = { partition: p, offset };
      next[p] = offset + 1;
    }
    for (const chunk of chunks) if (chunk) index.finish(chunk);
    return positions;
  }

  /** Records with offsets in [from, to) in one short read. */
  readRange(partition: number, from: number, to: number): LogRecord[] {
    const out: LogRecord[] = [];
    for (const { key, value } of this.db(partition).getRange({ start: from, end: to })) {
      value.offset = key;
      out.push(value);
    }
    return out;
  }

  /** First offset >= `from` whose timestamp is >= ts (the time index bounds the scan). */
  firstAtOrAfter(partition: number, from: number, ts: number): number {
    for (const { key, value } of this.db(partition).getRange({ start: from })) {
      if (value.timestamp >= ts) return key;
    }
    return this.endOffset(partition);
  }

  private db(partition: number): Database<LogRecord, number> {
    const db = this.partitionDbs[partition];
    if (!db) throw new LogError(`${this.topic} has ${this.partitions} partitions, no partition ${partition}`);
    return db;
  }
}
