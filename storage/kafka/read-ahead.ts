import type { LogRecord } from '../log/event-log.ts';

/** What a fetch gave from some offset on: the records (offset order, gaps where control or aborted records were) and the offset to fetch next. */
export interface FetchedRun {
  records: LogRecord[];
  nextOffset: number;
}

interface Entry extends FetchedRun {
  /** The first offset this entry answers for (records before it were handed out). */
  from: number;
}

/** `records` (offset order) from `offset` on: the same array when none is below it. */
function fromOffset(records: LogRecord[], offset: number): LogRecord[] {
  let i = 0;
  while (i < records.length && (records[i] as LogRecord).offset < offset) i++;
  return i === 0 ? records : records.slice(i);
}

/**
 * The records a fetch returned past the end of the read that asked for them, kept per
 * topic-partition for the next read that starts where that one ended.
 *
 * Why: a Kafka fetch returns whole record batches (as produced: up to 512 KiB of records each) and
 * kafkajs decodes all of them, while a bounded read (MergedReader asks for 8 to 256 records at a
 * time) used a few and dropped the rest; the next read fetched and decoded the same batches again.
 * A consumer-group member catching up decoded each record hundreds of times (measured: kafkajs's
 * record decoding and the garbage it left took about 40 s of the 55 s a 104,085-input catch-up
 * took; docs/benchmarks.md, decision D100).
 *
 * Served only from the offset an entry starts at or inside it, so a read gets exactly the records a
 * fetch from its offset would give (records are immutable once written; a fetch reads committed
 * records only, so an entry holds nothing a later fetch would not). One entry per topic-partition
 * (a read elsewhere in the partition replaces it) and at most `maxEntries` in all (the oldest goes).
 */
export class ReadAhead {
  private readonly entries = new Map<string, Entry>();
  hits = 0;

  constructor(private readonly maxEntries = 64) {}

  /**
   * The kept records from `offset` on, removed from the cache, or undefined when none are kept for
   * that offset. `nextOffset` is where a fetch would go on after them.
   */
  take(topic: string, partition: number, offset: number): FetchedRun | undefined {
    const key = `${topic}/${partition}`;
    const e = this.entries.get(key);
    if (e === undefined || offset < e.from || offset >= e.nextOffset) return undefined;
    this.entries.delete(key);
    this.hits++;
    return { records: fromOffset(e.records, offset), nextOffset: e.nextOffset };
  }

  /** Keeps the records of `run` from offset `from` on (those before it were handed out). Nothing is kept when the run ends at or before `from`. */
  keep(topic: string, partition: number, from: number, run: FetchedRun): void {
    if (run.nextOffset <= from) return;
    const key = `${topic}/${partition}`;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { from, nextOffset: run.nextOffset, records: fromOffset(run.records, from) });
  }

  clear(): void {
    this.entries.clear();
  }
}
