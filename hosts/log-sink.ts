import type { GraphEvent } from '../processors/graph-events.ts';
import type { PipelineSink } from '../processors/graph.ts';
import { TOPICS } from '../schemas/index.ts';
import type { AppendRecord, EventLog } from '../storage/log/event-log.ts';

export interface Encoder {
  encode(topic: string, value: object): Uint8Array;
}

/** Where each kind of graph output is appended, and its key and record timestamp. */
function route(e: GraphEvent): { topic: string; key: string; timestamp: number; value: object } {
  switch (e.kind) {
    case 'bar':
      return { topic: TOPICS.bars.name, key: e.bar.symbol, timestamp: e.bar.tsEvent, value: e.bar };
    case 'features':
      return { topic: TOPICS.features.name, key: e.vector.symbol, timestamp: e.vector.tsEvent, value: e.vector };
    case 'signal':
      return { topic: TOPICS.signals.name, key: e.signal.symbol, timestamp: e.signal.tsEvent, value: e.signal };
    case 'late':
      return { topic: TOPICS.lateEvents.name, key: e.late.symbol, timestamp: e.late.tsEvent, value: e.late };
    case 'deadLetter': {
      // avsc encodes Avro bytes from a Buffer only; processors hand over plain Uint8Arrays.
      const p = e.deadLetter.payload;
      const payload = Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      return { topic: TOPICS.deadLetters.name, key: e.deadLetter.key || e.deadLetter.topic, timestamp: e.deadLetter.tsInit, value: { ...e.deadLetter, payload } };
    }
  }
}

/**
 * Appends the graph's outputs to their derived topics. Because the graph is deterministic, the
 * k-th output of a topic is the same on every run over the same inputs; on restart the sink skips
 * the outputs the log already holds (`existing`), so a crash neither loses nor duplicates them.
 */
export class LogSink implements PipelineSink {
  private readonly queued = new Map<string, AppendRecord[]>();
  private readonly seen = new Map<string, number>();
  appended = 0;

  constructor(
    private readonly log: EventLog,
    private readonly serde: Encoder,
    private readonly existing: ReadonlyMap<string, number> = new Map(),
  ) {}

  onEvent(e: GraphEvent): void {
    const r = route(e);
    const n = this.seen.get(r.topic) ?? 0;
    this.seen.set(r.topic, n + 1);
    if (n < (this.existing.get(r.topic) ?? 0)) return;
    let q = this.queued.get(r.topic);
    if (q === undefined) this.queued.set(r.topic, (q = []));
    q.push({ key: r.key, timestamp: r.timestamp, value: this.serde.encode(r.topic, r.value) });
  }

  /** Outputs seen so far per derived topic (stored with a checkpoint). */
  outputCounts(): Record<string, number> {
    return Object.fromEntries(this.seen);
  }

  /**
   * Continues the output numbering of a run restored from a checkpoint: the graph will emit only
   * outputs after `counts`. Refused (returns the reason) when the log holds fewer outputs than the
   * checkpoint counted, which would leave a gap; the caller then uses an older checkpoint.
   */
  resumeCounts(counts: Readonly<Record<string, number>>): string | null {
    if (this.seen.size > 0) throw new Error('resumeCounts on a sink that has seen outputs');
    for (const [topic, n] of Object.entries(counts)) {
      const have = this.existing.get(topic) ?? 0;
      if (n > have) return `the log holds ${have} ${topic} records, the checkpoint counted ${n}`;
    }
    for (const [topic, n] of Object.entries(counts)) this.seen.set(topic, n);
    return null;
  }

  /** Appends everything queued; resolves when durable. */
  async flush(): Promise<void> {
    for (const [topic, records] of this.take()) {
      await this.log.append(topic, records);
      this.appended += records.length;
    }
  }

  /** Hands over what is queued, by topic, without appending it (a transactional writer sends it). */
  take(): Map<string, AppendRecord[]> {
    const out = new Map<string, AppendRecord[]>();
    for (const [topic, records] of this.queued) if (records.length > 0) out.set(topic, records);
    this.queued.clear();
    return out;
  }
}

/** Records per topic already in the log: what a restarted LogSink must skip. */
export async function countRecords(log: EventLog, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of topics) {
    let n = 0;
    const parts = await log.partitions(t);
    for (let p = 0; p < parts; p++) n += await log.endOffset(t, p);
    out.set(t, n);
  }
  return out;
}

export const DERIVED_TOPICS = [TOPICS.bars.name, TOPICS.features.name, TOPICS.signals.name, TOPICS.lateEvents.name, TOPICS.deadLetters.name];
