import type { Database, RootDatabase } from 'lmdb';
import { DEFAULT_PARTITIONS, TOPIC_LIST } from '../../schemas/topics.ts';
import { AppendNotifier, appendNotifier } from './append-notifier.ts';
import type { AppendRecord, EventLog, LogRecord, ReadOptions, RecordPosition } from './event-log.ts';
import { acquireLmdbEnv, type SharedEnv } from './lmdb-env.ts';
import { LogError } from './log-error.ts';
import { validateAppend, validateTopicName } from './log-validation.ts';
import { guardWrite } from './resource-fault.ts';
import { TopicHandle } from './topic-handle.ts';
import type { StoredFrames } from './stored-record.ts';
import { TimeIndex } from './time-index.ts';

export interface LmdbEventLogOptions {
  /** Partitions of a new topic that is not in the catalogue (1-256; default DEFAULT_PARTITIONS). */
  defaultPartitions?: number;
  /** How often an idle follow() looks for appends made by other processes, ms (1-60,000; default 100). */
  pollIntervalMs?: number;
  /** Open with lmdb's readOnly (read commands): nothing is created or written; appends are refused. */
  readOnly?: boolean;
}

/**
 * The options with their defaults, checked by hand: zod (the house's validator elsewhere) took
 * ~135 ms to import, and this module is the only user of it that replay's reader thread loads,
 * whose start the replay waits for (D173).
 */
function resolveOptions(o: LmdbEventLogOptions): Required<LmdbEventLogOptions> {
  const int = (name: string, v: number | undefined, min: number, max: number, def: number): number => {
    if (v === undefined) return def;
    if (!Number.isInteger(v) || v < min || v > max) throw new LogError(`LmdbEventLog: ${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
    return v;
  };
  if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean') throw new LogError(`LmdbEventLog: readOnly must be a boolean, got ${String(o.readOnly)}`);
  return { defaultPartitions: int('defaultPartitions', o.defaultPartitions, 1, 256, DEFAULT_PARTITIONS), pollIntervalMs: int('pollIntervalMs', o.pollIntervalMs, 1, 60_000, 100), readOnly: o.readOnly ?? false };
}

/**
 * 2: a partition's values are single records or blocks of records (stored-record.ts, D171).
 * Format 1 (single records only) is a subset: read as it is, and marked 2 when opened for writing
 * (an older tickflow then refuses it by its format, instead of finding a block it cannot read).
 */
const LOG_FORMAT = 2;
const READABLE_FORMATS: readonly unknown[] = [1, 2];
const TOPIC_PREFIX = 'topic:';

/**
 * The embedded event log: one lmdb environment per directory, one sub-database per
 * topic-partition keyed by offset (uint32, so at most 2^32 records per partition), a `meta`
 * sub-database (format, topics and their partition counts, fixed at creation) and the time index.
 * Several processes may open the same directory; lmdb serialises their writers and each append
 * reads the partition's end inside its own write transaction.
 */
export class LmdbEventLog implements EventLog {
  private readonly handles = new Map<string, TopicHandle>();
  private closed = false;

  private readonly env: RootDatabase;
  private readonly dir: string;

  private constructor(
    private readonly shared: SharedEnv,
    private readonly meta: Database,
    private readonly timeIndex: TimeIndex,
    private readonly options: Required<LmdbEventLogOptions>,
  ) {
    this.env = shared.env;
    this.dir = shared.path;
  }

  /** The log's directory (another thread opens it by this path: replay's reader thread). */
  get directory(): string {
    return this.dir;
  }

  static async open(dir: string, options: LmdbEventLogOptions = {}): Promise<LmdbEventLog> {
    const opts = resolveOptions(options);
    const shared = acquireLmdbEnv(dir, opts.readOnly);
    const env = shared.env;
    let meta: Database;
    let format: unknown;
    try {
      meta = env.openDB({ name: 'meta' });
      format = opts.readOnly
        ? meta.get('format')
        : await guardWrite(dir, 'creating the log', () => env.transaction(() => {
            const current = meta.get('format') as number | undefined;
            if (current === undefined || current === 1) meta.putSync('format', LOG_FORMAT);
            return current ?? LOG_FORMAT;
          }), async () => 'what it held before');
    } catch (e) {
      await shared.release();
      throw e;
    }
    if (!READABLE_FORMATS.includes(format)) {
      await shared.release();
      throw new LogError(`${dir}: log format ${String(format)} is not supported (expected ${READABLE_FORMATS.join(' or ')})`);
    }
    const timeIndex = new TimeIndex(env.openDB({ name: 'time-index' }));
    return new LmdbEventLog(shared, meta, timeIndex, opts);
  }

  async partitions(topic: string): Promise<number> {
    if (this.options.readOnly) {
      // Read-only: a topic the log does not hold is not created; it has its catalogue count.
      const stored = this.existingPartitions(topic);
      if (stored !== undefined) return stored;
      validateTopicName(topic);
      return TOPIC_LIST.find((t) => t.name === topic)?.partitions ?? this.options.defaultPartitions;
    }
    return (await this.handle(topic)).partitions;
  }

  private existingPartitions(topic: string): number | undefined {
    this.assertOpen();
    this.env.resetReadTxn();
    return (this.meta.get(TOPIC_PREFIX + topic) as { partitions: number } | undefined)?.partitions;
  }

  /** Records in a topic across its partitions (for messages). */
  private async size(topic: string): Promise<number> {
    const parts = this.existingPartitions(topic) ?? 0;
    let n = 0;
    for (let p = 0; p < parts; p++) n += await this.endOffset(topic, p);
    return n;
  }

  async append(topic: string, records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    this.assertOpen();
    if (this.options.readOnly) throw new LogError(`${this.dir}: the log is open read-only; cannot append to ${topic}`);
    validateAppend(records);
    const handle = await this.handle(topic);
    if (records.length === 0) return [];
    // A child transaction rolls back on a throw, so one call's records land all or not at all.
    const positions = await guardWrite(
      this.dir,
      `appending ${records.length} records to ${topic}`,
      async () => {
        const p = await this.env.childTransaction(() => handle.write(records, this.timeIndex));
        await this.env.flushed; // durable, not just visible (overlappingSync)
        return p;
      },
      async () => `every record appended before (${topic}: ${await this.size(topic)} records)`,
    );
    const touched = new Set<number>();
    for (const p of positions) touched.add(p.partition);
    for (const p of touched) appendNotifier.notify(AppendNotifier.key(this.dir, topic, p));
    return positions;
  }

  async endOffset(topic: string, partition: number): Promise<number> {
    const handle = this.existing(topic, partition);
    return handle ? handle.endOffset(partition) : 0;
  }

  async offsetForTime(topic: string, partition: number, ts: number): Promise<number> {
    if (!Number.isFinite(ts)) throw new LogError(`offsetForTime: timestamp must be a finite number, got ${ts}`);
    const handle = this.existing(topic, partition);
    if (!handle) return 0;
    const chunk = this.timeIndex.chunkFor(topic, partition, ts);
    if (chunk === undefined) return handle.endOffset(partition);
    return handle.firstAtOrAfter(partition, chunk, ts);
  }

  async *read(topic: string, partition: number, options: ReadOptions = {}): AsyncIterable<LogRecord[]> {
    const from = options.fromOffset ?? 0;
    const batchSize = options.batchSize ?? 4096;
    if (!Number.isSafeInteger(from) || from < 0) throw new LogError(`read: fromOffset must be an integer >= 0, got ${from}`);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new LogError(`read: batchSize must be an integer >= 1, got ${batchSize}`);
    const handle = this.existing(topic, partition);
    if (!handle) return;
    const to = options.toOffset ?? handle.endOffset(partition);
    if (!Number.isSafeInteger(to) || to < 0) throw new LogError(`read: toOffset must be an integer >= 0, got ${to}`);
    let next = from;
    while (next < to && !this.closed) {
      // Each batch is its own short read: nothing pins an lmdb snapshot while the consumer awaits.
      const batch = handle.readRange(partition, next, Math.min(next + batchSize, to));
      if (batch.length === 0) return;
      yield batch;
      next = batch[batch.length - 1]!.offset + 1;
    }
  }

  /**
   * The records of [from, to) of a partition, as `read` gives them, copied as stored into `frames`
   * and read back frame by frame (StoredFrames): replay's reader thread (D173). Synchronous: one
   * short read, as each of `read`'s batches.
   */
  readFrames(topic: string, partition: number, from: number, to: number, frames: StoredFrames): void {
    if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(to)) throw new LogError(`readFrames: offsets must be integers >= 0, got [${from}, ${to})`);
    const handle = this.existing(topic, partition);
    if (handle === undefined) frames.reset(from, from);
    else handle.readFrames(partition, from, to, frames);
  }

  async *follow(topic: string, partition: number, fromOffset: number, signal: AbortSignal): AsyncIterable<LogRecord[]> {
    const key = AppendNotifier.key(this.dir, topic, partition);
    let next = fromOffset;
    while (!signal.aborted && !this.closed) {
      const seen = appendNotifier.generation(key);
      const end = await this.endOffset(topic, partition);
      if (next < end) {
        for await (const batch of this.read(topic, partition, { fromOffset: next, toOffset: end })) {
          if (signal.aborted) return;
          yield batch;
          next = batch[batch.length - 1]!.offset + 1;
        }
        continue;
      }
      // Nothing new: sleep until an in-process append, the poll interval (other processes), or abort.
      await appendNotifier.wait(key, seen, this.options.pollIntervalMs, signal);
    }
  }

  async topics(): Promise<string[]> {
    this.assertOpen();
    const names: string[] = [];
    for (const key of this.meta.getKeys({ start: TOPIC_PREFIX, end: TOPIC_PREFIX.slice(0, -1) + ';' })) {
      names.push(String(key).slice(TOPIC_PREFIX.length));
    }
    return names.sort();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    appendNotifier.notifyAll(`${this.dir}\u0000`);
    await this.shared.release();
  }

  /** The topic's handle, creating the topic (catalogue partition count, else the default) if new. */
  private async handle(topic: string): Promise<TopicHandle> {
    this.assertOpen();
    const cached = this.handles.get(topic);
    if (cached) return cached;
    validateTopicName(topic);
    const wanted = TOPIC_LIST.find((t) => t.name === topic)?.partitions ?? this.options.defaultPartitions;
    const metaKey = TOPIC_PREFIX + topic;
    // Read-or-create inside a write transaction: another process may be creating it right now.
    const partitions = await guardWrite(
      this.dir,
      `creating topic ${topic}`,
      async () => {
        const n = await this.env.transaction(() => {
          const stored = this.meta.get(metaKey) as { partitions: number } | undefined;
          if (stored) return stored.partitions;
          this.meta.putSync(metaKey, { partitions: wanted });
          return wanted;
        });
        await this.env.flushed;
        return n;
      },
      async () => 'every record appended before',
    );
    return this.cache(this.openHandle(topic, partitions));
  }

  /**
   * The handle of an existing topic without creating it; validates the partition either way.
   * Starts each public read from the latest snapshot: lmdb-js renews its read transaction only on
   * a later macrotask, which could hide a commit made just now by another handle or process.
   */
  private existing(topic: string, partition: number): TopicHandle | undefined {
    this.assertOpen();
    this.env.resetReadTxn();
    let handle = this.handles.get(topic);
    if (!handle) {
      validateTopicName(topic);
      const stored = this.meta.get(TOPIC_PREFIX + topic) as { partitions: number } | undefined;
      if (stored) handle = this.cache(this.openHandle(topic, stored.partitions));
    }
    const count = handle?.partitions ?? TOPIC_LIST.find((t) => t.name === topic)?.partitions ?? this.options.defaultPartitions;
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new LogError(`${topic} has ${count} partitions, no partition ${partition}`);
    }
    return handle;
  }

  private openHandle(topic: string, partitions: number): TopicHandle {
    try {
      return new TopicHandle(this.env, topic, partitions);
    } catch (e) {
      // Typically MDB_DBS_FULL: one sub-database per partition, MAX_DBS in all (lmdb-env.ts).
      throw new LogError(`${this.dir}: cannot open the ${partitions} partitions of ${topic}: ${(e as Error).message}`, { cause: e });
    }
  }

  private cache(handle: TopicHandle): TopicHandle {
    const existing = this.handles.get(handle.topic);
    if (existing) return existing;
    this.handles.set(handle.topic, handle);
    return handle;
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError(`${this.dir}: the log is closed`);
  }
}
