import { TOPICS } from '../../schemas/index.ts';
import type { EventLog } from '../../storage/log/event-log.ts';

/** Where the slowest live feed of a log stands: rows dated after it are `ahead-of-live-feed`. */
export interface LiveFeedPosition {
  /** The feed's name on the `feed-positions` topic. */
  source: string;
  /** The tsInit of the last event the feed announced (the record timestamp of its latest position). */
  tsInit: number;
}

/**
 * The live feed position of a log: over every source that recorded a position on `feed-positions`
 * (hosts/live/feed-writer.ts: one record per append round, timestamp = tsInit of the round's last
 * event), the one whose latest position is earliest; null when no feed ever ran on the log.
 *
 * Why ingest needs it: the replay merges each input partition in offset order (hosts/merged-reader.ts),
 * so a row appended after a feed's records but dated after the feed's clock holds back every later
 * record of its partition until the rest of the log has passed its time; the live host, which
 * drains only as far as the feed has appended, then processes those records in another order than
 * a replay (docs/reliability.md). The earliest feed bounds it because any feed may share a
 * partition with the file.
 */
export async function liveFeedPosition(log: EventLog): Promise<LiveFeedPosition | null> {
  const topic = TOPICS.feedPositions.name;
  if (!(await log.topics()).includes(topic)) return null;
  const latest = new Map<string, number>();
  const parts = await log.partitions(topic);
  for (let p = 0; p < parts; p++) {
    // Offset order within a partition, and a source's positions share one partition (keyed by
    // source): the last record read per source is its latest. The positions are the timestamps;
    // values need no decoding.
    for await (const batch of log.read(topic, p, { fromOffset: 0 })) for (const r of batch) latest.set(r.key, r.timestamp);
  }
  let out: LiveFeedPosition | null = null;
  for (const [source, tsInit] of [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (out === null || tsInit < out.tsInit) out = { source, tsInit };
  }
  return out;
}
