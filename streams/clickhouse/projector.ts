/**
 * The ClickHouse sink: an independent consumer of the derived topics of the event log. ClickHouse
 * holds a projection that can always be rebuilt from the log, so the projector is at-least-once
 * with idempotent rows (content ids + ReplacingMergeTree), and its offsets live in ClickHouse,
 * committed after the rows they cover. See docs/clickhouse.md.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { EventLog, LogRecord } from '../log/event-log.ts';
import { assertSchema } from './assert-schema.ts';
import { errorSummary } from './clickhouse-sink-error.ts';
import { DeadLetterSink } from './dead-letter-sink.ts';
import { projectRecord } from './derived-rows.ts';
import { rowEncoder, type RowEncoder } from './insert-rows.ts';
import { OffsetStore, offsetKey } from './offset-store.ts';
import { decodeFailure, type ProjectorSerde, unknownSchemaId } from './projector-serde.ts';
import { PROJECTED_TOPICS, type ProjectedTopic, TOPIC_TABLES } from './tables.ts';
import { type Entry, TableWriter, type WriterCounts } from './table-writer.ts';
import { DEFAULT_RETRY } from './with-retry.ts';

const OptionsSchema = z.object({
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('default'),
  /** Name under which offsets are committed; two projectors with one name share a position. */
  consumer: z.string().min(1).default('clickhouse-projector'),
  topics: z.array(z.enum(PROJECTED_TOPICS as [ProjectedTopic, ...ProjectedTopic[]])).min(1).default(PROJECTED_TOPICS),
  /** A batch is flushed when it has this many rows... */
  batchRows: z.int().min(1).default(5_000),
  /** ...or when its oldest row has waited this long (ms). */
  batchMs: z.int().min(1).default(500),
  /** Per topic; readers stop reading the log while the buffer is full. */
  maxBufferedRows: z.int().min(1).default(20_000),
  /** Records per log read. */
  readBatchSize: z.int().min(1).default(1_000),
  retry: z.object({ initialMs: z.number().positive(), maxMs: z.number().positive(), factor: z.number().min(1) }).default(DEFAULT_RETRY),
});

export type ProjectorOptions = z.input<typeof OptionsSchema> & {
  log: EventLog;
  serde: ProjectorSerde;
  client: ClickHouseClient;
  /** Progress and warnings (retries, dropped records). Default: silent. */
  onLog?: (message: string) => void;
};

export interface TopicStats extends WriterCounts {
  read: number;
  /** Next offset committed per partition, by this run. */
  committed: Record<number, number>;
}

export interface ProjectionReport {
  /** False when the signal aborted the run before it finished. */
  completed: boolean;
  topics: Record<string, TopicStats>;
  /** Transient failures retried. */
  retries: number;
}

export const DEAD_LETTER_REASON_PREFIX = 'clickhouse-projector: ';

export class ClickHouseProjector {
  private readonly o: z.output<typeof OptionsSchema>;
  private readonly offsets: OffsetStore;
  private readonly deadLetters: DeadLetterSink;
  private readonly encoders = new Map<ProjectedTopic, RowEncoder>();
  private writers = new Map<ProjectedTopic, TableWriter>();
  private read = new Map<string, number>();
  private retries = 0;

  constructor(private readonly deps: ProjectorOptions) {
    const { log: _log, serde: _serde, client: _client, onLog: _onLog, ...rest } = deps;
    this.o = OptionsSchema.parse(rest);
    this.offsets = new OffsetStore(deps.client, this.o.database, this.o.consumer);
    this.deadLetters = new DeadLetterSink(deps.log, deps.serde, DEAD_LETTER_REASON_PREFIX);
    for (const t of this.o.topics) this.encoders.set(t, rowEncoder(TOPIC_TABLES[t]));
  }

  /**
   * Reads every projected topic from its committed offset (or from 0 with from: 'earliest', the
   * rebuild) to the end it has when reached, writes and commits everything, then resolves.
   * Dead letters go last, so those this run appends are projected too.
   */
  async catchUp(options: { signal?: AbortSignal; from?: 'committed' | 'earliest' } = {}): Promise<ProjectionReport> {
    const from = options.from ?? 'committed';
    const first = this.o.topics.filter((t) => t !== 'dead-letters');
    const last = this.o.topics.filter((t) => t === 'dead-letters');
    return this.session(options.signal, async (signal, start) => {
      for (const group of [first, last]) {
        await Promise.all(
          group.map(async (topic) => {
            await this.forEachPartition(topic, start, from, async (p, fromOffset) => {
              const toOffset = await this.deps.log.endOffset(topic, p);
              for await (const batch of this.deps.log.read(topic, p, { fromOffset, toOffset, batchSize: this.o.readBatchSize })) {
                await this.pushAll(topic, batch, signal);
              }
            });
            await this.writer(topic).drain(signal);
          }),
        );
      }
    });
  }

  /** Tails every projected topic from its committed offset until the signal aborts. */
  async follow(signal: AbortSignal): Promise<ProjectionReport> {
    return this.session(signal, async (inner, start) => {
      await Promise.all(
        this.o.topics.map((topic) =>
          this.forEachPartition(topic, start, 'committed', async (p, fromOffset) => {
            for await (const batch of this.deps.log.follow(topic, p, fromOffset, inner)) await this.pushAll(topic, batch, inner);
          }),
        ),
      );
      inner.throwIfAborted(); // follow() only ends by an abort
    });
  }

  /** Counters of the current or last run. */
  stats(): ProjectionReport & { buffered: number } {
    let buffered = 0;
    for (const w of this.writers.values()) buffered += w.buffered;
    return { ...this.report(false), buffered };
  }

  private async session(
    outer: AbortSignal | undefined,
    body: (signal: AbortSignal, start: Map<string, number>) => Promise<void>,
  ): Promise<ProjectionReport> {
    const ac = new AbortController();
    const onOuter = (): void => ac.abort(outer?.reason);
    if (outer?.aborted) onOuter();
    outer?.addEventListener('abort', onOuter, { once: true });
    this.writers = new Map();
    this.read = new Map();
    this.retries = 0;
    const onRetry = (err: unknown): void => {
      this.retries++;
      this.deps.onLog?.(`clickhouse projector: retrying after ${errorSummary(err)}`);
    };
    for (const topic of this.o.topics) {
      this.writers.set(
        topic,
        new TableWriter({
          client: this.deps.client,
          database: this.o.database,
          table: TOPIC_TABLES[topic],
          topic,
          offsets: this.offsets,
          deadLetters: this.deadLetters,
          deadLetterFailures: topic !== 'dead-letters',
          batchRows: this.o.batchRows,
          batchMs: this.o.batchMs,
          maxBufferedRows: this.o.maxBufferedRows,
          retry: this.o.retry,
          onRetry,
          warn: (m) => this.deps.onLog?.(`clickhouse projector: ${m}`),
        }),
      );
    }
    // A writer's fatal failure aborts the readers; the first error is the one reported.
    // Whatever is thrown once the run is aborted (an aborted request, a woken wait) is the abort.
    let failure: unknown = null;
    const fail = (err: unknown): void => {
      if (!ac.signal.aborted) failure = err;
      ac.abort(err);
    };
    const loops = [...this.writers.values()].map((w) => w.run(ac.signal).catch(fail));
    try {
      await assertSchema(this.deps.client, this.o.database, [...this.o.topics.map((t) => TOPIC_TABLES[t]), 'tickflow_offsets']);
      await body(ac.signal, await this.offsets.load());
      return this.report(true);
    } catch (err) {
      fail(err);
      await Promise.all(loops);
      if (failure !== null) throw failure;
      return this.report(false);
    } finally {
      ac.abort();
      outer?.removeEventListener('abort', onOuter);
      await Promise.all(loops);
    }
  }

  private async forEachPartition(
    topic: ProjectedTopic,
    start: Map<string, number>,
    from: 'committed' | 'earliest',
    each: (partition: number, fromOffset: number) => Promise<void>,
  ): Promise<void> {
    const n = await this.deps.log.partitions(topic);
    await Promise.all(Array.from({ length: n }, (_, p) => each(p, from === 'earliest' ? 0 : (start.get(offsetKey(topic, p)) ?? 0))));
  }

  private async pushAll(topic: ProjectedTopic, batch: readonly LogRecord[], signal: AbortSignal): Promise<void> {
    const writer = this.writer(topic);
    for (const record of batch) {
      await writer.push(await this.toEntry(topic, record), signal);
      this.read.set(topic, (this.read.get(topic) ?? 0) + 1);
    }
  }

  private async toEntry(topic: ProjectedTopic, record: LogRecord): Promise<Entry> {
    let value: unknown;
    try {
      value = await this.decode(topic, record.value);
    } catch (err) {
      return { record, row: null, invalid: `cannot decode: ${decodeFailure(err)}` };
    }
    const projected = projectRecord(topic, value, record);
    if (!projected.ok) return { record, row: null, invalid: projected.reason };
    try {
      return { record, row: (this.encoders.get(topic) as RowEncoder)(projected.row) };
    } catch (err) {
      return { record, row: null, invalid: `cannot encode: ${errorSummary(err)}` };
    }
  }

  private async decode(topic: ProjectedTopic, bytes: Uint8Array): Promise<unknown> {
    const { serde } = this.deps;
    try {
      return serde.decodeAs<unknown>(topic, bytes);
    } catch (err) {
      const id = unknownSchemaId(err);
      if (id === null || !serde.loadSchema) throw err;
      await serde.loadSchema(id);
      return serde.decodeAs<unknown>(topic, bytes);
    }
  }

  private writer(topic: ProjectedTopic): TableWriter {
    return this.writers.get(topic) as TableWriter;
  }

  private report(completed: boolean): ProjectionReport {
    const topics: Record<string, TopicStats> = {};
    for (const [topic, w] of this.writers) {
      topics[topic] = { read: this.read.get(topic) ?? 0, ...w.counts, committed: Object.fromEntries(w.committed) };
    }
    return { completed, topics, retries: this.retries };
  }
}
