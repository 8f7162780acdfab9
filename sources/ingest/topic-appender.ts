import type { AppendRecord, EventLog } from '../../storage/log/event-log.ts';

/** Record values per append call: large enough to amortize a durable commit. */
export const APPEND_BATCH = 5_000;

/**
 * Buffers encoded records of one topic and appends them in batches, in the order given (so order
 * per key is the caller's order).
 */
export class TopicAppender {
  private pending: AppendRecord[] = [];
  appended = 0;

  constructor(
    private readonly log: EventLog,
    private readonly topic: string,
    private readonly batch = APPEND_BATCH,
  ) {}

  async push(record: AppendRecord): Promise<void> {
    this.pending.push(record);
    if (this.pending.length >= this.batch) await this.flush();
  }

  /** Buffers a record without awaiting; call flush() when `full` (for tight synchronous loops). */
  add(record: AppendRecord): void {
    this.pending.push(record);
  }

  get full(): boolean {
    return this.pending.length >= this.batch;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    await this.log.append(this.topic, records);
    this.appended += records.length;
  }
}
