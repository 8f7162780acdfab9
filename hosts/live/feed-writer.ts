import { TOPICS, type FeedPartitionEnd, type FeedPosition } from '../../schemas/index.ts';
import { partitionFor, type AppendRecord, type EventLog, type LogRecord } from '../../storage/log/event-log.ts';
import { countRecords } from '../log-sink.ts';
import type { TopicDecoder } from '../merged-reader.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import type { HostEventEmitter } from '../host-events.ts';
import { fromExactJson, toExactJson } from '../../lib/exact-json.ts';

/** A market event as a feed produces it, before it is in the log. */
export interface FeedEvent {
  topic: string;
  key: string;
  value: { tsEvent: number; tsInit: number };
}

/** A feed whose whole state can be saved between two of its events (e.g. the synthetic market's MarketStream). */
export interface SnapshotFeed extends Iterator<FeedEvent> {
  snapshot(): string;
}

/** A feed's saved state: after its first `at` events, for the feed of these parameters. */
export interface SavedFeedState {
  source: string;
  feed: string;
  at: number;
  state: string;
}

/** Where a feed's latest saved state is kept (hosts/live/feed-state-file.ts: a file beside the embedded log; feed-state-log.ts: the `checkpoints` topic of a Kafka log). */
export interface FeedStateStore {
  load(): Promise<SavedFeedState | null>;
  save(s: SavedFeedState): Promise<void>;
}

export interface FeedStateOptions {
  store: FeedStateStore;
  /** The feed continued from a saved state, or null when the state is not its own (then it is regenerated). */
  resume(state: string): SnapshotFeed | null;
  /** Save the state at most once per this many events of the feed (and once levelled). Default 50,000. */
  every?: number;
}

export type EncodeFn = (topic: string, value: object) => Uint8Array;

/** Where a positioned appender is in its feed: the next round starts at event `from`, after `ends`. */
export interface AppenderPosition {
  source: string;
  /** The feed's parameters (JSON) recorded with each round, so `verify` can regenerate it; '' if it cannot be. */
  feed: string;
  /** Events of the feed's own sequence already appended. */
  from: number;
  /** Per topic partition (`topic/partition`), the offset after the feed's own last record. */
  ends: Map<string, FeedPartitionEnd>;
}

/**
 * The one append loop of every feed writer (start's history and repair, the live host, generate):
 * events are grouped by topic (order within a topic kept), encoded, and each topic's records are
 * appended in one call, topics in the order they first appear in the batch. Each record is keyed
 * by the event's key, with timestamp = tsEvent.
 *
 * With a position, each round is announced first on the `feed-positions` topic (the feed's events
 * [from, to) and the partition offsets they follow), so that a restart can tell by content which
 * of them reached the log, whatever else was appended to the same topics (levelFeedWithLog).
 */
export class FeedAppender {
  private batch = new Map<string, AppendRecord[]>();
  private count = 0;
  private lastTsInit = 0;

  constructor(
    private readonly log: EventLog,
    private readonly encode: EncodeFn,
    private readonly position: AppenderPosition | null = null,
    /** Called after each non-empty flush of a positioned appender with the new `from`. */
    private readonly afterFlush: ((from: number) => Promise<void>) | null = null,
  ) {}

  add(ev: FeedEvent): void {
    let q = this.batch.get(ev.topic);
    if (q === undefined) this.batch.set(ev.topic, (q = []));
    q.push({ key: ev.key, timestamp: ev.value.tsEvent, value: this.encode(ev.topic, ev.value) });
    this.count++;
    this.lastTsInit = ev.value.tsInit;
  }

  /** Events added since the last flush. */
  get pending(): number {
    return this.count;
  }

  /** Events of the feed appended so far (positioned appenders only; else NaN). */
  get appendedThrough(): number {
    return this.position?.from ?? Number.NaN;
  }

  /** Events added since the last flush, per topic (in the order appends will happen). */
  pendingByTopic(): Map<string, number> {
    return new Map([...this.batch].map(([t, q]) => [t, q.length]));
  }

  /** Appends everything added since the last flush; resolves once durable, with the event count. */
  async flush(): Promise<number> {
    const batch = this.batch;
    const n = this.count;
    this.batch = new Map();
    this.count = 0;
    const pos = this.position;
    if (pos !== null && n > 0) {
      const intent: FeedPosition = { source: pos.source, feed: pos.feed, from: pos.from, to: pos.from + n, ends: [...pos.ends.values()] };
      const topic = TOPICS.feedPositions.name;
      await this.log.append(topic, [{ key: pos.source, timestamp: this.lastTsInit, value: this.encode(topic, intent) }]);
    }
    for (const [topic, records] of batch) {
      const at = await this.log.append(topic, records);
      if (pos !== null) for (const p of at) pos.ends.set(`${topic}/${p.partition}`, { topic, partition: p.partition, offset: p.offset + 1 });
    }
    if (pos !== null) pos.from += n;
    if (pos !== null && n > 0 && this.afterFlush !== null) await this.afterFlush(pos.from);
    return n;
  }
}

/** An iterator of feed events that can show its next event without taking it. */
export class PeekableFeed implements Iterator<FeedEvent> {
  private head: IteratorResult<FeedEvent> | null = null;
  /** Events taken so far: the feed's own sequence number of the next event. */
  taken = 0;

  constructor(private readonly source: Iterator<FeedEvent>) {}

  /**
   * The state before the next event (the source's state, and the event it already gave if one was
   * peeked), or null if the source cannot save its state.
   */
  snapshot(): string | null {
    const src = this.source as Partial<SnapshotFeed>;
    if (typeof src.snapshot !== 'function') return null;
    const head = this.head === null || this.head.done === true ? null : this.head.value;
    return toExactJson({ head, source: src.snapshot() });
  }

  /** A feed continued from a state saved by snapshot() after `at` events; null if `resume` refuses it. */
  static resume(saved: SavedFeedState, resume: (state: string) => SnapshotFeed | null): PeekableFeed | null {
    let s: { head: FeedEvent | null; source: string };
    try {
      s = fromExactJson(saved.state) as { head: FeedEvent | null; source: string };
    } catch {
      return null;
    }
    if (s === null || typeof s !== 'object' || typeof s.source !== 'string') return null;
    const source = resume(s.source);
    if (source === null) return null;
    const feed = new PeekableFeed(source);
    feed.taken = saved.at;
    if (s.head !== null) feed.head = { done: false, value: s.head };
    return feed;
  }

  peek(): IteratorResult<FeedEvent> {
    if (this.head === null) this.head = this.source.next();
    return this.head;
  }

  next(): IteratorResult<FeedEvent> {
    const r = this.peek();
    this.head = null;
    if (!r.done) this.taken++;
    return r;
  }

  /** The tsInit of the next event (Infinity at the end), without taking it. */
  nextTsInit(): number {
    const r = this.peek();
    return r.done ? Number.POSITIVE_INFINITY : r.value.value.tsInit;
  }
}

export interface LevelFeedOptions {
  log: EventLog;
  encode: EncodeFn;
  /** Decodes the feed's recorded positions (the `feed-positions` topic). */
  decode: TopicDecoder;
  /** The feed from its very first event (a seeded market regenerated from its start). */
  feed: Iterator<FeedEvent>;
  /** The feed's name on the `feed-positions` topic. */
  source: string;
  /** The feed's parameters (JSON), recorded so that `verify` can regenerate its sequence. Default ''. */
  feedParams?: string;
  /** The input topics this feed writes. */
  topics: readonly string[];
  /** On a new log: append the feed's events with tsInit before this (market time, ms). */
  historyEnd: number;
  /** Events per append round while writing history. Default 20,000. */
  historyBatch?: number;
  /** Where it says how it levelled the feed with the log (lib/log.ts). Default: silent. */
  logger?: Logger;
  /**
   * Saved feed state (a SnapshotFeed as `feed`): saved as the feed advances, and on a restart the
   * feed is restored from it instead of regenerated from its first event, when it is the state of
   * this source and parameters at or before the log's recorded position. Without it (or when it
   * does not fit), the feed is regenerated from its start.
   */
  state?: FeedStateOptions;
  /** Where `feed-resume` and `history-progress` (after each history round) are emitted (hosts/host-events.ts). */
  events?: HostEventEmitter;
}

export interface LevelFeedResult {
  /** The feed, positioned at the first of its events the log does not hold yet. */
  feed: PeekableFeed;
  /** The appender that continues the feed (recording its positions): give it to the live host. */
  appender: FeedAppender;
  /**
   * 'history': the log held none of the feed's inputs and the history was written; 'resumed': the
   * feed continues after its recorded position; 'counted': the log holds inputs but no position
   * of this feed (written by an older tickflow), so it resumes after as many events per topic.
   */
  mode: 'history' | 'resumed' | 'counted';
  /** History events appended (mode 'history'). */
  historyEvents: number;
  /** Events appended per topic that a crash had left out of the log. */
  repaired: Map<string, number>;
}

/**
 * Brings a feed level with the log before the live host starts. On a log that holds the feed's
 * recorded position, it regenerates the feed's last announced round, appends the events of it
 * that a crash left out (recognised by content after the recorded offsets: records of any other
 * writer are ignored) and continues after it. On a new log it appends the history (events with
 * tsInit before `historyEnd`). On a log with inputs but no position it falls back to counting:
 * each input topic is taken as a prefix of the feed's stream of that topic.
 */
export async function levelFeedWithLog(opts: LevelFeedOptions): Promise<LevelFeedResult> {
  let feed = new PeekableFeed(opts.feed);
  const logger = opts.logger ?? silentLogger();
  const params = opts.feedParams ?? '';
  const st = opts.state;
  const every = st?.every ?? 50_000;
  let savedAt = Number.NEGATIVE_INFINITY;
  // Saves the feed's state when the appender is level with it (every event taken is appended).
  const saveState = async (from: number, force: boolean): Promise<void> => {
    if (st === undefined || from !== feed.taken || (!force && from - savedAt < every)) return;
    const state = feed.snapshot();
    if (state === null) return;
    await st.store.save({ source: opts.source, feed: params, at: from, state });
    savedAt = from;
  };
  const afterFlush = (from: number): Promise<void> => saveState(from, false);
  const resumed = (by: 'position' | 'count', repaired: Map<string, number>): void => void opts.events?.emit('feed-resume', { source: opts.source, by, repaired: Object.fromEntries(repaired) });
  const last = await lastPosition(opts.log, opts.decode, opts.source);
  if (last !== null) {
    const saved = st === undefined ? null : await st.store.load();
    if (st !== undefined && saved !== null) {
      const unfit = saved.source !== opts.source || saved.feed !== params ? 'is of other parameters' : saved.at > last.from ? `lies after the log's recorded position (${last.from})` : null;
      const restored = unfit === null ? PeekableFeed.resume(saved, (s) => st.resume(s)) : null;
      if (restored !== null) {
        feed = restored;
        savedAt = saved.at;
        logger.info({ event: 'feed-restore', source: opts.source, at: saved.at }, `${opts.source}: restored its saved state after ${saved.at} events`);
      } else logger.info({ event: 'feed-restore-refused', source: opts.source, at: saved.at }, `${opts.source}: its saved state ${unfit ?? 'is of other generator code or parameters'}: regenerating`);
    }
    // Without a usable saved state the seeded feed has no random access: this regenerates (and
    // drops) its first `from` events, the longest silent step of a restart on a long history.
    const skip = last.from - feed.taken;
    if (skip > 0) logger.info({ event: 'feed-regenerate', source: opts.source, events: skip }, `${opts.source}: regenerating ${skip} events to resume after the log's recorded position...`);
    while (feed.taken < last.from && !feed.next().done);
    const round: FeedEvent[] = [];
    while (feed.taken < last.to && !feed.peek().done) round.push(feed.next().value as FeedEvent);
    logger.info({ event: 'feed-resume', source: opts.source, by: 'position', position: last.to }, `${opts.source}: the log holds its events up to ${last.to} (recorded position): resuming after them`);
    const repaired = await appendMissing(opts.log, opts.encode, round, last.ends);
    for (const [topic, n] of repaired) logger.warn({ event: 'repair', topic, events: n }, `repaired ${topic}: appended ${n} events a crash left out`);
    resumed('position', repaired);
    const appender = new FeedAppender(opts.log, opts.encode, { source: opts.source, feed: params, from: feed.taken, ends: await currentEnds(opts.log, opts.topics) }, afterFlush);
    await saveState(feed.taken, true);
    return { feed, appender, mode: 'resumed', historyEvents: 0, repaired };
  }
  const have = await countRecords(opts.log, opts.topics);
  if ([...have.values()].some((n) => n > 0)) {
    logger.info({ event: 'feed-resume', source: opts.source, by: 'count' }, `log holds ${[...have].map(([t, n]) => `${n} ${t}`).join(', ')} but no recorded position of ${opts.source}: resuming after them by count`);
    const plain = new FeedAppender(opts.log, opts.encode);
    const skip = new Map(have);
    while (!feed.peek().done && [...skip.values()].some((n) => n > 0)) {
      const ev = feed.next().value as FeedEvent;
      const left = skip.get(ev.topic) ?? 0;
      if (left > 0) skip.set(ev.topic, left - 1);
      else plain.add(ev);
    }
    const repaired = plain.pendingByTopic();
    for (const [topic, n] of repaired) logger.warn({ event: 'repair', topic, events: n }, `repairing ${topic}: appending ${n} events a crash left out`);
    await plain.flush();
    resumed('count', repaired);
    const appender = new FeedAppender(opts.log, opts.encode, { source: opts.source, feed: params, from: feed.taken, ends: await currentEnds(opts.log, opts.topics) }, afterFlush);
    await saveState(feed.taken, true);
    return { feed, appender, mode: 'counted', historyEvents: 0, repaired };
  }
  const appender = new FeedAppender(opts.log, opts.encode, { source: opts.source, feed: params, from: 0, ends: await currentEnds(opts.log, opts.topics) }, afterFlush);
  const batch = opts.historyBatch ?? 20_000;
  const firstTsInit = feed.nextTsInit();
  let events = 0;
  while (feed.nextTsInit() < opts.historyEnd) {
    const ev = feed.next().value as FeedEvent;
    appender.add(ev);
    if (appender.pending >= batch) {
      events += await appender.flush();
      opts.events?.emit('history-progress', { events, tsInit: ev.value.tsInit, firstTsInit });
    }
  }
  events += await appender.flush();
  await saveState(feed.taken, true);
  logger.info({ event: 'history', events }, `history: ${events} events appended to the log`);
  return { feed, appender, mode: 'history', historyEvents: events, repaired: new Map() };
}

/** The end offset of every partition of the topics, keyed `topic/partition`. */
async function currentEnds(log: EventLog, topics: readonly string[]): Promise<Map<string, FeedPartitionEnd>> {
  const out = new Map<string, FeedPartitionEnd>();
  for (const topic of topics) {
    const parts = await log.partitions(topic);
    for (let partition = 0; partition < parts; partition++) out.set(`${topic}/${partition}`, { topic, partition, offset: await log.endOffset(topic, partition) });
  }
  return out;
}

/** Records read back per step when looking for a source's latest position. */
const POSITION_WINDOW = 256;

/** The latest recorded position of `source`, or null if it never recorded one. */
export async function lastPosition(log: EventLog, decode: TopicDecoder, source: string): Promise<FeedPosition | null> {
  const topic = TOPICS.feedPositions.name;
  if (!(await log.topics()).includes(topic)) return null;
  const parts = await log.partitions(topic);
  for (let p = 0; p < parts; p++) {
    // Newest first: read windows backwards from the end until one holds a record of this source.
    for (let to = await log.endOffset(topic, p); to > 0; to -= POSITION_WINDOW) {
      let found: LogRecord | null = null;
      for await (const b of log.read(topic, p, { fromOffset: Math.max(0, to - POSITION_WINDOW), toOffset: to })) for (const r of b) if (r.key === source) found = r;
      if (found !== null) return decode(topic, found.value) as FeedPosition;
    }
  }
  return null;
}

/**
 * Appends the events of `round` that are not in the log. The round's records of a partition are
 * at or after its recorded end offset, in the round's order, possibly with other writers' records
 * in between: each partition is scanned once, matching the round's records in order, byte for
 * byte. Returns the count appended per topic.
 */
async function appendMissing(log: EventLog, encode: EncodeFn, round: readonly FeedEvent[], ends: readonly FeedPartitionEnd[]): Promise<Map<string, number>> {
  const from = new Map(ends.map((e) => [`${e.topic}/${e.partition}`, e.offset]));
  const byPartition = new Map<string, { ev: FeedEvent; bytes: Uint8Array; logged: boolean }[]>();
  const partitionsOf = new Map<string, number>();
  for (const ev of round) {
    let n = partitionsOf.get(ev.topic);
    if (n === undefined) partitionsOf.set(ev.topic, (n = await log.partitions(ev.topic)));
    const k = `${ev.topic}/${partitionFor(ev.key, n)}`;
    let q = byPartition.get(k);
    if (q === undefined) byPartition.set(k, (q = []));
    q.push({ ev, bytes: encode(ev.topic, ev.value), logged: false });
  }
  for (const [k, expected] of byPartition) {
    const slash = k.lastIndexOf('/');
    const topic = k.slice(0, slash);
    const partition = Number(k.slice(slash + 1));
    let i = 0;
    for await (const b of log.read(topic, partition, { fromOffset: from.get(k) ?? 0 })) {
      for (const r of b) {
        if (i < expected.length && Buffer.from(r.value).equals(expected[i]!.bytes)) expected[i++]!.logged = true;
      }
      if (i === expected.length) break;
    }
  }
  const missing = new FeedAppender(log, encode);
  const logged = new Set<FeedEvent>();
  for (const q of byPartition.values()) for (const e of q) if (e.logged) logged.add(e.ev);
  for (const ev of round) if (!logged.has(ev)) missing.add(ev);
  const counts = missing.pendingByTopic();
  await missing.flush();
  return counts;
}
