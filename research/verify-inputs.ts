import { createHash } from 'node:crypto';
import type { FeedEvent } from '../hosts/live/feed-writer.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { TOPICS, type FeedPosition } from '../schemas/index.ts';
import { SyntheticMarket } from '../sources/synthetic/synthetic-market.ts';
import type { SyntheticConfig } from '../sources/synthetic/synthetic-config.ts';
import type { EventLog } from '../storage/log/event-log.ts';

/** Where a source's sequence is broken: the event's number in the feed's own order. */
export interface SequenceFault {
  seq: number;
  topic: string;
  key: string;
  tsInit: number;
  /** How many times the log holds it (0: a hole). */
  times: number;
}

export interface SourceCheck {
  source: string;
  /** Events the source has recorded as appended (its latest position's `to`). */
  events: number;
  /** false when the source cannot be regenerated (no parameters recorded, unknown kind of feed). */
  checked: boolean;
  complete: boolean;
  holes: number;
  duplicates: number;
  firstHole?: SequenceFault;
  firstDuplicate?: SequenceFault;
}

/** Feeds that `verify` can regenerate from the parameters they record, by source name. */
const REGENERATE: Record<string, (params: string) => Iterator<FeedEvent>> = {
  synthetic: (params) => new SyntheticMarket(JSON.parse(params) as SyntheticConfig).events(),
};

/**
 * Checks every source's sequence in the log: for each source on the `feed-positions` topic, its
 * events [0, to) are regenerated and each must be in the log exactly once (by content: the
 * record's bytes), whatever else the topics hold. A hole is an event the log lacks (e.g. a crash
 * that no restart has repaired yet), a duplicate one it holds more than once.
 */
export async function verifyInputs(opts: { log: EventLog; decode: TopicDecoder; encode: (t: string, v: object) => Uint8Array }): Promise<SourceCheck[]> {
  const latest = await latestPositions(opts.log, opts.decode);
  const out: SourceCheck[] = [];
  for (const pos of latest.values()) {
    const regenerate = REGENERATE[pos.source];
    if (regenerate === undefined || pos.feed === '') {
      out.push({ source: pos.source, events: pos.to, checked: false, complete: false, holes: 0, duplicates: 0 });
      continue;
    }
    const topics = [...new Set(pos.ends.map((e) => e.topic))];
    const held = await digestsOf(opts.log, topics);
    const check: SourceCheck = { source: pos.source, events: pos.to, checked: true, complete: true, holes: 0, duplicates: 0 };
    const feed = regenerate(pos.feed);
    for (let seq = 0; seq < pos.to; seq++) {
      const r = feed.next();
      if (r.done) break;
      const ev = r.value;
      const times = held.get(`${ev.topic} ${digest(opts.encode(ev.topic, ev.value))}`) ?? 0;
      if (times === 1) continue;
      const fault = { seq, topic: ev.topic, key: ev.key, tsInit: ev.value.tsInit, times };
      check.complete = false;
      if (times === 0) {
        check.holes++;
        check.firstHole ??= fault;
      } else {
        check.duplicates++;
        check.firstDuplicate ??= fault;
      }
    }
    out.push(check);
  }
  return out;
}

/** The latest recorded position of every source. */
async function latestPositions(log: EventLog, decode: TopicDecoder): Promise<Map<string, FeedPosition>> {
  const topic = TOPICS.feedPositions.name;
  const out = new Map<string, FeedPosition>();
  if (!(await log.topics()).includes(topic)) return out;
  const parts = await log.partitions(topic);
  for (let p = 0; p < parts; p++) {
    for await (const b of log.read(topic, p)) {
      for (const r of b) {
        const pos = decode(topic, r.value) as FeedPosition;
        out.set(pos.source, pos);
      }
    }
  }
  return out;
}

/** `topic digest` -> how many records of the topics have those bytes. */
async function digestsOf(log: EventLog, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of topics) {
    const parts = await log.partitions(t);
    for (let p = 0; p < parts; p++) {
      for await (const b of log.read(t, p)) {
        for (const r of b) {
          const k = `${t} ${digest(r.value)}`;
          out.set(k, (out.get(k) ?? 0) + 1);
        }
      }
    }
  }
  return out;
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}
