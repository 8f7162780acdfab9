import type { AppendRecord, EventLog } from '../../storage/log/event-log.ts';
import { countRecords } from '../log-sink.ts';

/** A market event as a feed produces it, before it is in the log. */
export interface FeedEvent {
  topic: string;
  key: string;
  value: { tsEvent: number; tsInit: number };
}

export type EncodeFn = (topic: string, value: object) => Uint8Array;

/**
 * The one append loop of every feed writer (start's history and repair, the live host, generate):
 * events are grouped by topic (order within a topic kept), encoded, and each topic's records are
 * appended in one call, topics in the order they first appear in the batch. Each record is keyed
 * by the event's key, with timestamp = tsEvent.
 */
export class FeedAppender {
  private batch = new Map<string, AppendRecord[]>();
  private count = 0;

  constructor(
    private readonly log: EventLog,
    private readonly encode: EncodeFn,
  ) {}

  add(ev: FeedEvent): void {
    let q = this.batch.get(ev.topic);
    if (q === undefined) this.batch.set(ev.topic, (q = []));
    q.push({ key: ev.key, timestamp: ev.value.tsEvent, value: this.encode(ev.topic, ev.value) });
    this.count++;
  }

  /** Events added since the last flush. */
  get pending(): number {
    return this.count;
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
    for (const [topic, records] of batch) await this.log.append(topic, records);
    return n;
  }
}

/** An iterator of feed events that can show its next event without taking it. */
export class PeekableFeed implements Iterator<FeedEvent> {
  private head: IteratorResult<FeedEvent> | null = null;

  constructor(private readonly source: Iterator<FeedEvent>) {}

  peek(): IteratorResult<FeedEvent> {
    if (this.head === null) this.head = this.source.next();
    return this.head;
  }

  next(): IteratorResult<FeedEvent> {
    const r = this.peek();
    this.head = null;
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
  /** The feed from its very first event (a seeded market regenerated from its start). */
  feed: Iterator<FeedEvent>;
  /** The input topics this feed writes (their sizes decide where it resumes). */
  topics: readonly string[];
  /** On a new log: append the feed's events with tsInit before this (market time, ms). */
  historyEnd: number;
  /** Events per append round while writing history. Default 20,000. */
  historyBatch?: number;
  onInfo?: (message: string) => void;
  /** After each history round: events so far, and the tsInit of the last one written. */
  onHistoryProgress?: (p: { events: number; tsInit: number; firstTsInit: number }) => void;
}

export interface LevelFeedResult {
  /** The feed, positioned at the first event the log does not hold yet. */
  feed: PeekableFeed;
  /** 'history': the log was empty and the history was written; 'resumed': the log already held inputs. */
  mode: 'history' | 'resumed';
  /** History events appended (mode 'history'). */
  historyEvents: number;
  /** Events appended per topic to repair a topic a crash left shorter than the others (mode 'resumed'). */
  repaired: Map<string, number>;
}

/**
 * Brings a feed level with the log before the live host starts: on a new log, appends the history
 * (events with tsInit before `historyEnd`); on an existing log, skips the events each input topic
 * already holds, and appends the events of a topic that a crash between two appends left shorter,
 * so the log is whole again before anything is processed. Each topic's log is assumed to be a
 * prefix of the feed's stream of that topic (the feed is its only writer).
 */
export async function levelFeedWithLog(opts: LevelFeedOptions): Promise<LevelFeedResult> {
  const feed = new PeekableFeed(opts.feed);
  const appender = new FeedAppender(opts.log, opts.encode);
  const have = await countRecords(opts.log, opts.topics);
  if ([...have.values()].some((n) => n > 0)) {
    opts.onInfo?.(`log holds ${[...have].map(([t, n]) => `${n} ${t}`).join(', ')}: resuming after them`);
    const skip = new Map(have);
    while (!feed.peek().done && [...skip.values()].some((n) => n > 0)) {
      const ev = feed.next().value as FeedEvent;
      const left = skip.get(ev.topic) ?? 0;
      if (left > 0) skip.set(ev.topic, left - 1);
      else appender.add(ev);
    }
    const repaired = appender.pendingByTopic();
    for (const [topic, n] of repaired) opts.onInfo?.(`repairing ${topic}: appending ${n} events a crash left out`);
    await appender.flush();
    return { feed, mode: 'resumed', historyEvents: 0, repaired };
  }
  const batch = opts.historyBatch ?? 20_000;
  const firstTsInit = feed.nextTsInit();
  let events = 0;
  while (feed.nextTsInit() < opts.historyEnd) {
    const ev = feed.next().value as FeedEvent;
    appender.add(ev);
    if (appender.pending >= batch) {
      events += await appender.flush();
      opts.onHistoryProgress?.({ events, tsInit: ev.value.tsInit, firstTsInit });
    }
  }
  events += await appender.flush();
  opts.onInfo?.(`history: ${events} events appended to the log`);
  return { feed, mode: 'history', historyEvents: events, repaired: new Map() };
}
