/**
 * The ClickHouse sink: an independent consumer of the derived topics of the event log. ClickHouse
 * holds a projection that can always be rebuilt from the log, so the projector is at-least-once
 * with idempotent rows (content ids + ReplacingMergeTree), and its offsets live in ClickHouse,
 * committed after the rows they cover. See docs/clickhouse.md.
 */
import { setMaxListeners } from 'node:events';
import type { z } from 'zod';
import type { LogRecord } from '../../storage/log/event-log.ts';
import { assertSchema } from './assert-schema.ts';
import { errorSummary } from './clickhouse-sink-error.ts';
import { DeadLetterSink } from './dead-letter-sink.ts';
import { OffsetStore, offsetKey } from './offset-store.ts';
import { type ProjectionReport, type ProjectorOptions, ProjectorOptionsSchema, type TopicStats } from './projector-options.ts';
import { RecordToEntry } from './record-to-entry.ts';
import { type ProjectedTopic, TOPIC_TABLES } from './tables.ts';
import { TableWriter } from './table-writer.ts';
import { withRetry } from './with-retry.ts';

export type { ProjectionReport, ProjectorOptions, TopicStats } from './projector-options.ts';

export const DEAD_LETTER_REASON_PREFIX = 'clickhouse-projector: ';

export class ClickHouseProjector {
  private readonly o: z.output<typeof ProjectorOptionsSchema>;
  private readonly offsets: OffsetStore;
  private readonly deadLetters: DeadLetterSink;
  private readonly toEntry: RecordToEntry;
  private writers = new Map<ProjectedTopic, TableWriter>();
  private read = new Map<string, number>();
  private retries = 0;
  private running = false;

  constructor(private readonly deps: ProjectorOptions) {
    this.o = ProjectorOptionsSchema.parse(deps); // a zod object keeps only its own keys
    this.offsets = new OffsetStore(deps.client, this.o.database, this.o.consumer);
    this.deadLetters = new DeadLetterSink(deps.log, deps.serde, DEAD_LETTER_REASON_PREFIX);
    this.toEntry = new RecordToEntry(deps.serde);
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
    if (this.running) throw new Error('ClickHouseProjector: one run at a time (catchUp or follow is already running)');
    this.running = true;
    const ac = new AbortController();
    setMaxListeners(1_000, ac.signal); // every reader waiting for buffer space listens to it
    const onOuter = (): void => ac.abort(outer?.reason);
    if (outer?.aborted) onOuter();
    outer?.addEventListener('abort', onOuter, { once: true });
    this.writers = new Map();
    this.read = new Map();
    this.retries = 0;
    const onRetry = (err: unknown): void => {
      this.retries++;
      this.deps.logger?.warn({ event: 'retry' }, `clickhouse projector: retrying after ${errorSummary(err)}`);
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
          warn: (m) => this.deps.logger?.warn(`clickhouse projector: ${m}`),
        }),
      );
    }
    // A writer's fatal failure aborts the readers; the first error is the one reported.
    // Whatever is thrown once the run is aborted (an aborted request, a woken wait) is the abort.
    const outcome: { failure: Error | null } = { failure: null };
    const fail = (err: unknown): void => {
      if (!ac.signal.aborted) outcome.failure = err instanceof Error ? err : new Error(String(err));
      ac.abort(err);
    };
    const loops = [...this.writers.values()].map((w) => w.run(ac.signal).catch(fail));
    try {
      // Started while ClickHouse is down: wait for it like any other transient failure.
      const tables = [...this.o.topics.map((t) => TOPIC_TABLES[t]), 'tickflow_offsets' as const];
      await withRetry(() => assertSchema(this.deps.client, this.o.database, tables), ac.signal, this.o.retry, onRetry);
      const start = await withRetry(() => this.offsets.load(), ac.signal, this.o.retry, onRetry);
      await body(ac.signal, start);
      return this.report(true);
    } catch (err) {
      fail(err);
      await Promise.all(loops);
      if (outcome.failure !== null) throw outcome.failure;
      return this.report(false);
    } finally {
      ac.abort();
      outer?.removeEventListener('abort', onOuter);
      await Promise.all(loops);
      this.running = false;
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
    signal.throwIfAborted();
    const writer = this.writer(topic);
    for (const record of batch) {
      await writer.push(await this.toEntry.convert(topic, record), signal);
      this.read.set(topic, (this.read.get(topic) ?? 0) + 1);
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
