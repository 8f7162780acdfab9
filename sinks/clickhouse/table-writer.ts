/**
 * One derived topic's path into its table: a bounded buffer that readers push into (and wait on
 * when it is full: backpressure, the log keeps what is not read yet) and one loop that flushes it
 * by size or age. A flush inserts the rows (transient failures retried with backoff), splits a
 * batch the server rejects down to single rows, appends dead letters, and only then commits the
 * partitions' offsets. Entries of a partition are pushed in offset order, so a flushed prefix
 * always ends at a committable position.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { DeadLetter } from '../../schemas/dead-letter.ts';
import type { LogRecord } from '../../storage/log/event-log.ts';
import { classifyFailure, errorSummary } from './clickhouse-sink-error.ts';
import type { DeadLetterSink } from './dead-letter-sink.ts';
import { insertEncoded } from './insert-rows.ts';
import { Notifier } from './notifier.ts';
import type { OffsetStore } from './offset-store.ts';
import type { TableName } from './tables.ts';
import { type RetryOptions, withRetry } from './with-retry.ts';
import { bufferView } from '../../lib/bytes.ts';

export interface Entry {
  record: LogRecord;
  /** Encoded row, or null when the record is invalid. */
  row: Buffer | null;
  /** Why the record is invalid (row is null). */
  invalid?: string;
}

export interface TableWriterOptions {
  client: ClickHouseClient;
  database: string;
  table: TableName;
  topic: string;
  offsets: OffsetStore;
  deadLetters: DeadLetterSink;
  /** False for the dead-letters topic itself: its bad records are dropped, never re-dead-lettered. */
  deadLetterFailures: boolean;
  batchRows: number;
  batchMs: number;
  maxBufferedRows: number;
  retry: RetryOptions;
  onRetry: (err: unknown) => void;
  warn: (message: string) => void;
}

export interface WriterCounts {
  inserted: number;
  invalid: number;
  rejected: number;
  deadLettered: number;
  dropped: number;
}

export class TableWriter {
  readonly counts: WriterCounts = { inserted: 0, invalid: 0, rejected: 0, deadLettered: 0, dropped: 0 };
  /** Next offset committed per partition by this writer. */
  readonly committed = new Map<number, number>();
  private entries: Entry[] = [];
  private oldestAt = 0;
  private draining = false;
  private readonly changed = new Notifier();

  constructor(private readonly o: TableWriterOptions) {}

  get buffered(): number {
    return this.entries.length;
  }

  /** Adds an entry, first waiting while the buffer is full. */
  async push(entry: Entry, signal: AbortSignal): Promise<void> {
    while (this.entries.length >= this.o.maxBufferedRows) await this.changed.wait(signal);
    if (this.entries.length === 0) this.oldestAt = Date.now();
    this.entries.push(entry);
    if (this.entries.length === 1 || this.entries.length >= this.o.batchRows) this.changed.notify();
  }

  /** Resolves once everything pushed so far is flushed and committed. */
  async drain(signal: AbortSignal): Promise<void> {
    this.draining = true;
    this.changed.notify();
    try {
      while (this.entries.length > 0) await this.changed.wait(signal);
    } finally {
      this.draining = false;
    }
  }

  /** The flush loop; returns when the signal aborts (rejects with it), throws on a fatal failure. */
  async run(signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      await this.waitForBatch(signal);
      const batch = this.entries.slice(0, this.o.batchRows);
      await this.flush(batch, signal);
      this.entries.splice(0, batch.length);
      this.oldestAt = Date.now();
      this.changed.notify();
    }
  }

  private async waitForBatch(signal: AbortSignal): Promise<void> {
    for (;;) {
      const n = this.entries.length;
      if (n >= this.o.batchRows || (n > 0 && this.draining)) return;
      if (n === 0) {
        await this.changed.wait(signal);
        continue;
      }
      const left = this.oldestAt + this.o.batchMs - Date.now();
      if (left <= 0) return;
      await this.changed.wait(signal, left);
    }
  }

  private async flush(batch: readonly Entry[], signal: AbortSignal): Promise<void> {
    const rejected: { entry: Entry; reason: string }[] = [];
    await this.insertSplitting(batch.filter((e) => e.row !== null), rejected, signal);
    const invalid = batch.filter((e) => e.row === null);
    const failed = [
      ...invalid.map((e) => ({ entry: e, reason: `invalid record: ${e.invalid ?? 'unknown'}` })),
      ...rejected.map((r) => ({ entry: r.entry, reason: `rejected by ClickHouse: ${r.reason}` })),
    ];
    this.counts.invalid += invalid.length;
    this.counts.rejected += rejected.length;
    if (failed.length > 0) await this.deadLetter(failed, signal);

    const positions = new Map<number, number>();
    for (const e of batch) positions.set(e.record.partition, Math.max(positions.get(e.record.partition) ?? 0, e.record.offset + 1));
    await withRetry(() => this.o.offsets.commit(this.o.topic, positions, signal), signal, this.o.retry, this.o.onRetry);
    for (const [p, next] of positions) this.committed.set(p, next);
  }

  /** Inserts; a rejected batch is halved until the rejected rows stand alone (18.16 inserts a block atomically). */
  private async insertSplitting(entries: readonly Entry[], rejected: { entry: Entry; reason: string }[], signal: AbortSignal): Promise<void> {
    if (entries.length === 0) return;
    const { client, database, table, retry, onRetry } = this.o;
    try {
      await withRetry(() => insertEncoded(client, database, table, entries.map((e) => e.row as Buffer), signal), signal, retry, onRetry);
      this.counts.inserted += entries.length;
    } catch (err) {
      if (signal.aborted || classifyFailure(err) !== 'rejected') throw err;
      if (entries.length === 1) {
        rejected.push({ entry: entries[0] as Entry, reason: errorSummary(err) });
        return;
      }
      const mid = Math.ceil(entries.length / 2);
      await this.insertSplitting(entries.slice(0, mid), rejected, signal);
      await this.insertSplitting(entries.slice(mid), rejected, signal);
    }
  }

  private async deadLetter(failed: readonly { entry: Entry; reason: string }[], signal: AbortSignal): Promise<void> {
    const prefix = this.o.deadLetters.reasonPrefix;
    if (!this.o.deadLetterFailures) {
      this.counts.dropped += failed.length;
      for (const f of failed) this.o.warn(`dropped ${this.o.topic}[${f.entry.record.partition}]@${f.entry.record.offset}: ${f.reason}`);
      return;
    }
    const letters: DeadLetter[] = failed.map(({ entry: { record }, reason }) => ({
      // The source record's time, not the wall clock: a rebuild produces the same dead letter.
      tsInit: record.timestamp,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.key,
      reason: `${prefix}${reason}`,
      // avsc encodes Avro bytes from a Buffer only; a log record's value is a Uint8Array.
      payload: bufferView(record.value),
    }));
    this.counts.deadLettered += await withRetry(() => this.o.deadLetters.write(letters), signal, this.o.retry, this.o.onRetry);
  }
}
