import type { Database } from 'lmdb';
import { LogError } from './log-error.ts';

/**
 * Sparse time index answering Kafka's ListOffsets(timestamp): the earliest offset whose timestamp
 * is >= ts, although timestamps within a partition are only nearly monotone.
 *
 * Let M(o) be the running maximum of the timestamps at offsets 0..o. M never decreases, and the
 * earliest offset with timestamp >= ts is exactly the first offset where M(o) >= ts (M first
 * reaches ts at a record that itself has a timestamp >= ts). So a partition is cut into chunks of
 * at most CHUNK consecutive offsets, and each chunk has one entry keyed
 * [topic, partition, M(last offset of the chunk), first offset] with the chunk's record count as
 * value. Keys sort by M, and among equal M by offset, i.e. in offset order. The first entry with
 * key >= [topic, partition, ts] is the chunk holding the answer; a scan of at most CHUNK records
 * finds it. The open (last, partly filled) chunk's entry is rewritten as appends grow it. Entries
 * are written in the same transaction as the records they describe.
 */
export const CHUNK = 1024;

type IndexKey = [string, number, number, number];

export interface ChunkState {
  readonly topic: string;
  readonly partition: number;
  first: number;
  count: number;
  maxTs: number;
  /** Key of this chunk's entry as stored, to replace when the chunk grows. */
  stored: IndexKey | undefined;
}

export class TimeIndex {
  constructor(private readonly db: Database<number, IndexKey | [string, number]>) {}

  /** Inside a write transaction: the state to continue the partition's index at nextOffset. */
  begin(topic: string, partition: number, nextOffset: number): ChunkState {
    for (const { key, value } of this.db.getRange({ start: [topic, partition + 1], end: [topic, partition], reverse: true, limit: 1 })) {
      const [, , maxTs, first] = key as IndexKey;
      if (first + value !== nextOffset) {
        throw new LogError(`time index of ${topic}/${partition} ends at ${first + value}, the partition at ${nextOffset}`);
      }
      return value < CHUNK
        ? { topic, partition, first, count: value, maxTs, stored: key as IndexKey }
        : { topic, partition, first: nextOffset, count: 0, maxTs, stored: undefined };
    }
    if (nextOffset !== 0) throw new LogError(`time index of ${topic}/${partition} is empty, the partition ends at ${nextOffset}`);
    return { topic, partition, first: 0, count: 0, maxTs: -Infinity, stored: undefined };
  }

  /** Records that `offset` (the next one) has `timestamp`. */
  observe(state: ChunkState, offset: number, timestamp: number): void {
    if (state.count === 0) state.first = offset;
    if (timestamp > state.maxTs) state.maxTs = timestamp;
    if (++state.count === CHUNK) {
      this.store(state);
      state.count = 0;
      state.stored = undefined;
    }
  }

  /** Writes the open chunk's entry at the end of an append. */
  finish(state: ChunkState): void {
    if (state.count > 0) this.store(state);
  }

  /** First offset of the chunk holding the earliest record with timestamp >= ts, if any. */
  chunkFor(topic: string, partition: number, ts: number): number | undefined {
    for (const { key } of this.db.getRange({ start: [topic, partition, ts], end: [topic, partition + 1], limit: 1 })) {
      return (key as IndexKey)[3];
    }
    return undefined;
  }

  private store(state: ChunkState): void {
    const key: IndexKey = [state.topic, state.partition, state.maxTs, state.first];
    // Inside the append's write transaction the *Sync variants write at once.
    if (state.stored && state.stored[2] !== state.maxTs) this.db.removeSync(state.stored);
    this.db.putSync(key, state.count);
    state.stored = key;
  }
}
