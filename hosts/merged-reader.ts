import type { Bar, OptionChainSnapshot, Trade } from '../schemas/index.ts';
import type { EventLog, LogRecord } from '../storage/log/event-log.ts';
import type { InputEvent, LogPosition } from '../processors/types.ts';

/**
 * Decodes a record value of a topic; throws an error with a `reason` when it cannot. `reuse`: a
 * value it returned before for this topic that the caller no longer uses; the decoder may fill
 * that object and return it instead of a new one (Serde.decodeAs does for trades), or ignore it.
 */
export type TopicDecoder = (topic: string, bytes: Uint8Array, reuse?: object) => unknown;

export interface MergedReaderOptions {
  /**
   * The consumer is done with each input when `emit` returns and keeps no reference to it or its
   * value (replay's graph: the bars stage copies what it keeps out of a trade, dead letters copy
   * its fields). Then a partition's next trade is decoded into the event object and Trade record
   * the previous one came in: two objects per trade less. Default false (a consumer may keep inputs).
   */
  reuseTrades?: boolean;
}

/** Input topics in merge-key order (the order is part of the determinism contract). */
export const INPUT_TOPICS = ['trades', 'options', 'candles'] as const;

interface Cursor extends MergeHead {
  topic: string;
  topicRank: number;
  partition: number;
  /** Next offset to fetch from the log. */
  fetchOffset: number;
  /** Records per read: BATCH, fewer for large records (BATCH_BYTES). */
  batch: number;
  /** Records read but not yet emitted: raw[i] is the head, raw[i + 1..] are still undecoded. */
  raw: LogRecord[];
  i: number;
  /** raw[i] decoded, and its merge key (tsInit); only the head of each cursor is ever decoded. */
  head: InputEvent | null;
  headKey: number;
  /** With reuseTrades: the trade event this cursor emitted last, to decode the next trade into. */
  spare: (InputEvent & { kind: 'trade' }) | null;
}

// Small batches: records are consumed soon after they are read, so they die young in the GC
// (8192-record batches survived scavenges and halved throughput; measured, see docs/benchmarks.md).
// Records are decoded one at a time as they reach the head of their cursor, not a batch at a
// time: a batch of 256 decoded option chains (56 contract objects each) outlived young-generation
// collections while the trades cursor caught up with it, and tripled the merge's CPU time.
// The same for large records (an option chain is ~4 KB): a cursor's reads are also bounded to
// about BATCH_BYTES of record values, so a batch of chains does not outlive many collections
// while the trades cursor catches up (256 → 8 chains: with head-only decode, the merge costs about what read + decode does; measured).
export const BATCH = 256;
const BATCH_BYTES = 32 * 1024;
const MIN_BATCH = 8;

/**
 * The records of a partition in [from, to), as the log gives them, and the offset to read from
 * next: after the last record, by offset, not by count (a Kafka partition with transactions has
 * gaps: each commit/abort marker takes an offset, and a count would put the next read back among
 * these records); `from` when there were none.
 */
export async function readPartition(log: EventLog, topic: string, partition: number, from: number, to: number, batchSize: number): Promise<{ records: LogRecord[]; next: number }> {
  let records: LogRecord[] = [];
  let next = from;
  for await (const batch of log.read(topic, partition, { fromOffset: from, toOffset: to, batchSize })) {
    records = records.length === 0 ? batch : records.concat(batch);
    if (batch.length > 0) next = (batch[batch.length - 1] as LogRecord).offset + 1;
  }
  return { records, next };
}

/** The size of a partition's next read after `raw`: BATCH records, fewer for large ones (BATCH_BYTES). */
export function nextBatch(raw: readonly LogRecord[]): number {
  let bytes = 0;
  for (const r of raw) bytes += r.value.length;
  return nextBatchOf(raw.length, bytes);
}

/** nextBatch after a read of `records` records whose values took `bytes` bytes. */
export function nextBatchOf(records: number, bytes: number): number {
  return Math.max(MIN_BATCH, Math.min(BATCH, Math.floor((BATCH_BYTES * records) / Math.max(1, bytes))));
}

/**
 * Reads the input topics of a log and merges all their partitions into ONE deterministic order:
 * by (tsInit, topic rank, partition, offset). Replay calls drain(Infinity); the live host calls
 * drain(T) after the feed has durably appended everything with tsInit <= T, so live and replay
 * process exactly the same sequence (see docs/time-and-determinism.md).
 */
export class MergedReader {
  private cursors: Cursor[] = [];
  private ready = false;

  /**
   * `partitions`: read only these partition numbers of every topic. Input topics are keyed by
   * symbol with equal partition counts, so partition p of each holds the same symbols, and the
   * merge of partition p alone is the full merge restricted to those symbols (a processor that
   * owns partition p of a consumer group reads exactly that).
   */
  constructor(
    private readonly log: EventLog,
    private readonly decode: TopicDecoder,
    private readonly topics: readonly string[] = INPUT_TOPICS,
    private readonly partitions?: readonly number[],
    options: MergedReaderOptions = {},
  ) {
    this.reuseTrades = options.reuseTrades === true;
  }

  private readonly reuseTrades: boolean;

  private async init(): Promise<void> {
    if (this.ready) return;
    for (let r = 0; r < this.topics.length; r++) {
      const topic = this.topics[r] as string;
      const n = await this.log.partitions(topic);
      for (let p = 0; p < n; p++) if (this.partitions === undefined || this.partitions.includes(p)) this.cursors.push({ topic, topicRank: r, partition: p, fetchOffset: 0, batch: BATCH, raw: [], i: 0, head: null, headKey: 0, spare: null });
    }
    this.ready = true;
  }

  /**
   * Starts a fresh reader at `positions` (next offset per `topic/partition`, as positions() gave
   * them; absent = 0) instead of at offset 0. The merge's only state is its cursors, so the records
   * emitted from here are exactly the rest of the merged order after that cut (checkpoints).
   */
  async startAt(positions: ReadonlyMap<string, number>): Promise<void> {
    await this.init();
    if (this.cursors.some((c) => c.fetchOffset > 0 || c.raw.length > 0 || c.head !== null)) throw new Error('startAt needs a reader that has not read yet');
    for (const c of this.cursors) c.fetchOffset = positions.get(`${c.topic}/${c.partition}`) ?? 0;
  }

  /** Offsets consumed so far (the next offset per topic-partition). */
  positions(): { topic: string; partition: number; offset: number }[] {
    return this.cursors.map((c) => ({ topic: c.topic, partition: c.partition, offset: nextOffset(c) }));
  }

  /**
   * Emits, in merged order, every record now in the log whose tsInit <= bound and that was not
   * emitted before, or only the first `max` of them (the next drain goes on from there). Returns
   * how many were emitted.
   */
  async drain(bound: number, emit: (e: InputEvent) => void, max = Number.POSITIVE_INFINITY): Promise<number> {
    return this.merge(bound, emit, undefined, max);
  }

  /**
   * Emits, in merged order, the records before `cut` (next offset per `topic/partition`; absent =
   * 0): a cut that an earlier drain sequence ended at (positions()) is a prefix of the merged
   * order, so this replays exactly that prefix. Used to rebuild a partition's state.
   */
  async drainBefore(cut: ReadonlyMap<string, number>, emit: (e: InputEvent) => void): Promise<number> {
    // A fresh reader, or one just placed by startAt at or before the cut, buffers nothing past the
    // cut (fill reads up to it); a used one might.
    if (this.cursors.some((c) => c.raw.length > 0 || c.fetchOffset > (cut.get(`${c.topic}/${c.partition}`) ?? 0))) throw new Error('drainBefore needs a reader that has not read yet (or was only placed by startAt at or before the cut)');
    return this.merge(Number.POSITIVE_INFINITY, emit, cut);
  }

  private async merge(bound: number, emit: (e: InputEvent) => void, cut?: ReadonlyMap<string, number>, max = Number.POSITIVE_INFINITY): Promise<number> {
    await this.init();
    const limit = (c: Cursor): number => (cut === undefined ? Number.POSITIVE_INFINITY : (cut.get(`${c.topic}/${c.partition}`) ?? 0));
    // Cursors fill concurrently: on Kafka each fill is a round trip or two, and live drains are
    // small, so these dominate a live round's latency. Which cursors are active is the same.
    const filled = await Promise.all(this.cursors.map((c) => this.fill(c, limit(c))));
    const active = this.cursors.filter((_, i) => filled[i]);
    const pick = newPick(active[0] as Cursor);
    let emitted = 0;
    while (active.length > 0 && emitted < max) {
      pickHeads(active, pick);
      const { best, bc, stopKey, winsTie } = pick;
      if (bc.headKey > bound) break;
      // bc's next record goes before the runner-up's head while its key is lower, or equal and bc
      // ranks first on (topic, partition); the same for any later cursor compared with it.
      const until = Math.min(bound, stopKey);
      for (;;) {
        const e = bc.head as InputEvent;
        bc.head = null;
        emit(e);
        emitted++;
        if (this.reuseTrades && e.kind === 'trade') bc.spare = e;
        bc.i++;
        if (bc.i < bc.raw.length) this.decodeHead(bc);
        else if (!(await this.fill(bc, limit(bc)))) {
          active.splice(best, 1);
          break;
        }
        if (emitted >= max) break;
        const k = bc.headKey;
        if (k > until || (k === stopKey && !winsTie)) break;
      }
    }
    return emitted;
  }

  /** Ensures the cursor has a buffered record; false when the partition has nothing more now. */
  private async fill(c: Cursor, limit: number): Promise<boolean> {
    if (c.i < c.raw.length) return nextOffset(c) < limit;
    c.raw = [];
    c.i = 0;
    const to = Math.min(c.fetchOffset + c.batch, limit);
    if (to <= c.fetchOffset) return false;
    const read = await readPartition(this.log, c.topic, c.partition, c.fetchOffset, to, c.batch);
    c.raw = read.records;
    c.fetchOffset = read.next;
    if (c.raw.length === 0) return false;
    c.batch = nextBatch(c.raw);
    this.decodeHead(c);
    return true;
  }

  private decodeHead(c: Cursor): void {
    const spare = c.spare;
    c.spare = null;
    const e = recordToInput(c.raw[c.i] as LogRecord, this.decode, spare);
    c.head = e;
    c.headKey = inputTsInit(e);
  }
}

/**
 * The input a stored record is: decoded by `decode` (into `spare`, a trade event its consumer is
 * done with, when given), or undecodable with the decoder's reason. The record is its own log
 * position (topic, partition, offset): one object less per input; operators read a position's
 * three fields and copy them into whatever they keep.
 */
export function recordToInput(rec: LogRecord, decode: TopicDecoder, spare: (InputEvent & { kind: 'trade' }) | null): InputEvent {
  const pos = rec;
  try {
    return decodeInput(rec.topic, rec.value, pos, decode, spare);
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    // An undecodable record has no tsInit; its record timestamp orders it, deterministically.
    return { kind: 'undecodable', pos, key: rec.key, tsInit: rec.timestamp, reason, payload: rec.value };
  }
}

/**
 * The input event of an input topic's value at `pos`; throws as the decoder does (recordToInput
 * makes that an undecodable record). `spare`, a trades cursor's (reuseTrades): the previous trade
 * event and its record, refilled.
 */
export function decodeInput(topic: string, bytes: Uint8Array, pos: LogPosition, decode: TopicDecoder, spare: (InputEvent & { kind: 'trade' }) | null): InputEvent & { kind: 'trade' | 'chain' | 'candle' } {
  if (spare !== null) {
    spare.value = decode(topic, bytes, spare.value) as Trade;
    spare.pos = pos;
    return spare;
  }
  const value = decode(topic, bytes);
  if (topic === 'trades') return { kind: 'trade', pos, value: value as Trade };
  if (topic === 'options') return { kind: 'chain', pos, value: value as OptionChainSnapshot };
  if (topic === 'candles') return { kind: 'candle', pos, value: value as Bar };
  throw Object.assign(new Error(`not an input topic: ${topic}`), { reason: `not-an-input-topic:${topic}` });
}

/** The offset of the cursor's next record not yet emitted (offsets can have gaps: see fill). */
function nextOffset(c: Cursor): number {
  return c.i < c.raw.length ? (c.raw[c.i] as LogRecord).offset : c.fetchOffset;
}

/** What the merge orders partitions by: the head's key (tsInit), then topic rank, then partition. */
export interface MergeHead {
  headKey: number;
  topicRank: number;
  partition: number;
}

/** True when a's head goes before b's in the merge order: (tsInit, topic rank, partition). */
function before(a: MergeHead, b: MergeHead): boolean {
  return a.headKey < b.headKey || (a.headKey === b.headKey && (a.topicRank < b.topicRank || (a.topicRank === b.topicRank && a.partition < b.partition)));
}

/** The merge's choice among the active partitions (pickHeads). */
export interface HeadPick<T extends MergeHead> {
  /** Index in `active` and the partition whose head goes first. */
  best: number;
  bc: T;
  /** The runner-up's key (Infinity with one partition), and whether bc goes first on an equal key. */
  stopKey: number;
  winsTie: boolean;
}

export function newPick<T extends MergeHead>(first: T): HeadPick<T> {
  return { best: 0, bc: first, stopKey: Number.POSITIVE_INFINITY, winsTie: true };
}

/**
 * The head that goes first among `active` (non-empty), and the runner-up's: the best partition's
 * records keep coming (without another scan) while its head stays before the runner-up's, which
 * is most records of a log whose trades come in runs between option chains (the same order, fewer
 * comparisons). A linear scan: a handful of partitions; cheaper than a heap at this size. Used by
 * MergedReader and by replay's reader thread (hosts/replay/input-handoff.ts), so both merge alike.
 */
export function pickHeads<T extends MergeHead>(active: readonly T[], out: HeadPick<T>): void {
  let best = 0;
  let bc = active[0] as T;
  let second: T | null = null;
  for (let j = 1; j < active.length; j++) {
    const c = active[j] as T;
    if (before(c, bc)) {
      second = bc;
      best = j;
      bc = c;
    } else if (second === null || before(c, second)) {
      second = c;
    }
  }
  out.best = best;
  out.bc = bc;
  out.stopKey = second === null ? Number.POSITIVE_INFINITY : second.headKey;
  out.winsTie = second === null || bc.topicRank < second.topicRank || (bc.topicRank === second.topicRank && bc.partition < second.partition);
}

/** An input's merge key: its tsInit, or an undecodable record's timestamp. */
export function inputTsInit(e: InputEvent): number {
  return e.kind === 'undecodable' ? e.tsInit : e.value.tsInit;
}
