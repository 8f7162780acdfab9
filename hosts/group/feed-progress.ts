import { CLOSED_WATERMARK, TOPICS, type FeedProgress } from '../../schemas/index.ts';
import type { EventLog } from '../../storage/log/event-log.ts';

const TOPIC = TOPICS.progress.name;

/**
 * Says on the `progress` topic that `source` has durably appended all of its inputs with
 * tsInit <= watermark. Call it only after those appends resolved (acks=all on Kafka): a processor
 * that reads the marker and then the input partitions' ends is sure to see them.
 */
export async function markProgress(log: EventLog, encode: (topic: string, value: object) => Uint8Array, source: string, watermark: number): Promise<void> {
  const value: FeedProgress = { source, watermark: Math.min(Math.max(watermark, -1), CLOSED_WATERMARK) };
  await log.append(TOPIC, [{ key: source, timestamp: Math.max(0, value.watermark), value: encode(TOPIC, value) }]);
}

/**
 * The lowest watermark over every source that has written to `progress` (latest marker per
 * source): how far processors apart from the feed may go. -Infinity until some source reported.
 */
export class ProgressTracker {
  private readonly latest = new Map<string, number>();
  private readonly next: number[] = [];

  constructor(
    private readonly log: EventLog,
    private readonly decode: (topic: string, bytes: Uint8Array) => unknown,
  ) {}

  /** Per partition: the offset after the last record a follow (waitForMarker) has seen. */
  private readonly seen: number[] = [];
  private followed: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  /**
   * Resolves as soon as `progress` holds a marker that poll() has not read yet, or after `ms`, or
   * when `signal` or `interrupt` aborts. An idle processor waits here instead of polling the log every few ms: a
   * follow of the topic (a long-polled fetch on Kafka) wakes it when a marker is appended, so a new
   * bound is seen as soon as the log delivers it, and idle members cost the broker and themselves
   * little (D166). The follow starts at the first call, from where poll() stands, and ends with
   * `signal`; if it fails, waits are timed only (as before).
   */
  async waitForMarker(ms: number, signal: AbortSignal, interrupt?: AbortSignal): Promise<void> {
    if (signal.aborted || interrupt?.aborted === true) return;
    this.followed ??= this.followMarkers(signal);
    if (this.unread()) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        interrupt?.removeEventListener('abort', done);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      interrupt?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** True when the follow has seen a marker past what poll() has read. */
  private unread(): boolean {
    for (let p = 0; p < this.seen.length; p++) if ((this.seen[p] ?? 0) > (this.next[p] ?? 0)) return true;
    return false;
  }

  private async followMarkers(signal: AbortSignal): Promise<void> {
    try {
      const parts = await this.log.partitions(TOPIC);
      await Promise.all(
        Array.from({ length: parts }, async (_, p) => {
          for await (const batch of this.log.follow(TOPIC, p, this.next[p] ?? 0, signal)) {
            const last = batch[batch.length - 1];
            if (last !== undefined) this.seen[p] = Math.max(this.seen[p] ?? 0, last.offset + 1);
            if (this.unread()) this.wake?.();
          }
        }),
      );
    } catch {
      // Timed waits only from here (the member's reads and poll() report a broken log themselves).
    }
  }

  /** Reads the markers appended since the last call; returns the bound. */
  async poll(): Promise<number> {
    // One partition in the catalogue; any count works (a source's markers share a partition by
    // key, so each source's latest is well defined), e.g. the 4 of a broker's auto-created topic.
    const parts = await this.log.partitions(TOPIC);
    for (let p = 0; p < parts; p++) {
      for await (const batch of this.log.read(TOPIC, p, { fromOffset: this.next[p] ?? 0 })) {
        for (const r of batch) {
          const m = this.decode(TOPIC, r.value) as FeedProgress;
          this.latest.set(m.source, m.watermark);
          this.next[p] = r.offset + 1;
        }
      }
    }
    return this.bound();
  }

  bound(): number {
    if (this.latest.size === 0) return Number.NEGATIVE_INFINITY;
    let b = Number.POSITIVE_INFINITY;
    for (const w of this.latest.values()) b = Math.min(b, w >= CLOSED_WATERMARK ? Number.POSITIVE_INFINITY : w);
    return b;
  }

  sources(): Record<string, number> {
    return Object.fromEntries(this.latest);
  }
}
