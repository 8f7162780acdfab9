import type { Bar, OptionChainSnapshot, Trade } from '../schemas/index.ts';
import type { EventLog, LogRecord } from '../streams/log/event-log.ts';
import type { InputEvent } from '../processors/types.ts';

/** Decodes a record value of a topic; throws an error with a `reason` when it cannot. */
export type TopicDecoder = (topic: string, bytes: Uint8Array) => unknown;

/** Input topics in merge-key order (the order is part of the determinism contract). */
export const INPUT_TOPICS = ['trades', 'options', 'candles'] as const;

interface Cursor {
  topic: string;
  topicRank: number;
  partition: number;
  /** Next offset to fetch from the log. */
  fetchOffset: number;
  buf: InputEvent[];
  keys: number[];
  i: number;
}

// Small batches: records are consumed soon after they are read, so they die young in the GC
// (8192-record batches survived scavenges and halved throughput; measured, see docs/benchmarks.md).
const BATCH = 256;

/**
 * Reads the input topics of a log and merges all their partitions into ONE deterministic order:
 * by (tsInit, topic rank, partition, offset). Replay calls drain(Infinity); the live host calls
 * drain(T) after the feed has durably appended everything with tsInit <= T, so live and replay
 * process exactly the same sequence (see docs/time-and-determinism.md).
 */
export class MergedReader {
  private cursors: Cursor[] = [];
  private ready = false;

  constructor(
    private readonly log: EventLog,
    private readonly decode: TopicDecoder,
    private readonly topics: readonly string[] = INPUT_TOPICS,
  ) {}

  private async init(): Promise<void> {
    if (this.ready) return;
    for (let r = 0; r < this.topics.length; r++) {
      const topic = this.topics[r] as string;
      const n = await this.log.partitions(topic);
      for (let p = 0; p < n; p++) this.cursors.push({ topic, topicRank: r, partition: p, fetchOffset: 0, buf: [], keys: [], i: 0 });
    }
    this.ready = true;
  }

  /** Offsets consumed so far (the next offset per topic-partition). */
  positions(): { topic: string; partition: number; offset: number }[] {
    return this.cursors.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.fetchOffset - (c.buf.length - c.i) }));
  }

  /**
   * Emits, in merged order, every record now in the log whose tsInit <= bound and that was not
   * emitted before. Returns how many were emitted.
   */
  async drain(bound: number, emit: (e: InputEvent) => void): Promise<number> {
    await this.init();
    const active: Cursor[] = [];
    for (const c of this.cursors) if (await this.fill(c)) active.push(c);
    let emitted = 0;
    while (active.length > 0) {
      // Linear scan: a handful of partitions; cheaper than a heap at this size.
      let best = 0;
      let bc = active[0] as Cursor;
      let bk = bc.keys[bc.i] as number;
      for (let j = 1; j < active.length; j++) {
        const c = active[j] as Cursor;
        const k = c.keys[c.i] as number;
        if (k < bk || (k === bk && (c.topicRank < bc.topicRank || (c.topicRank === bc.topicRank && c.partition < bc.partition)))) {
          best = j;
          bc = c;
          bk = k;
        }
      }
      if (bk > bound) break;
      emit(bc.buf[bc.i] as InputEvent);
      emitted++;
      bc.i++;
      if (bc.i >= bc.buf.length && !(await this.fill(bc))) active.splice(best, 1);
    }
    return emitted;
  }

  /** Ensures the cursor has a buffered record; false when the partition has nothing more now. */
  private async fill(c: Cursor): Promise<boolean> {
    if (c.i < c.buf.length) return true;
    c.buf = [];
    c.keys = [];
    c.i = 0;
    for await (const batch of this.log.read(c.topic, c.partition, { fromOffset: c.fetchOffset, toOffset: c.fetchOffset + BATCH, batchSize: BATCH })) {
      for (const rec of batch) {
        const e = this.toInput(rec);
        c.buf.push(e);
        c.keys.push(inputTsInit(e));
      }
      c.fetchOffset += batch.length;
    }
    return c.buf.length > 0;
  }

  private toInput(rec: LogRecord): InputEvent {
    const pos = { topic: rec.topic, partition: rec.partition, offset: rec.offset };
    try {
      const value = this.decode(rec.topic, rec.value);
      if (rec.topic === 'trades') return { kind: 'trade', pos, value: value as Trade };
      if (rec.topic === 'options') return { kind: 'chain', pos, value: value as OptionChainSnapshot };
      if (rec.topic === 'candles') return { kind: 'candle', pos, value: value as Bar };
      throw Object.assign(new Error(`not an input topic: ${rec.topic}`), { reason: `not-an-input-topic:${rec.topic}` });
    } catch (err) {
      const reason = (err as { reason?: string }).reason ?? (err as Error).message;
      // An undecodable record has no tsInit; its record timestamp orders it, deterministically.
      return { kind: 'undecodable', pos, key: rec.key, tsInit: rec.timestamp, reason, payload: rec.value };
    }
  }
}

function inputTsInit(e: InputEvent): number {
  return e.kind === 'undecodable' ? e.tsInit : e.value.tsInit;
}
