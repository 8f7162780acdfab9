import type { AppendRecord, EventLog } from '../../storage/log/event-log.ts';

/** Record values per append call: large enough to amortize a durable commit. */
export const APPEND_BATCH = 5_000;

/**
 * Buffers encoded records of one topic and appends them in batches, in the order given (so order
 * per key is the caller's order).
 */
export class TopicAppender {
  private pending: AppendRecord[] = [];
  /** The append started by flushBehind() and not yet awaited. */
  private inFlight: Promise<void> | null = null;
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

  /**
   * Starts appending the buffered records once the append started by the previous call has
   * finished, and returns as soon as that previous one has: the caller fills the next batch while
   * this one commits (and syncs). At most one append is in flight, and appends land in call order.
   * Its failure is raised by the next flushBehind() or flush(); settle() waits for it quietly.
   */
  async flushBehind(): Promise<void> {
    await this.awaitInFlight();
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const appending = this.log.append(this.topic, records).then(() => {
      this.appended += records.length;
    });
    // Observed later (awaitInFlight or settle); not an unhandled rejection meanwhile.
    appending.catch(() => undefined);
    this.inFlight = appending;
  }

  /** Appends everything buffered, after any append in flight, and waits until it is durable. */
  async flush(): Promise<void> {
    await this.awaitInFlight();
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    await this.log.append(this.topic, records);
    this.appended += records.length;
  }

  /** Waits for an append in flight without raising its failure (cleanup after another error). */
  async settle(): Promise<void> {
    const appending = this.inFlight;
    this.inFlight = null;
    if (appending) await appending.catch(() => undefined);
  }

  private async awaitInFlight(): Promise<void> {
    const appending = this.inFlight;
    this.inFlight = null;
    if (appending) await appending;
  }
}
