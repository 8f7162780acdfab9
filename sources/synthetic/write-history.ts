import type { EventLog } from '../../storage/log/event-log.ts';
import { FeedAppender } from '../../hosts/live/feed-writer.ts';
import type { SyntheticConfig } from './synthetic-config.ts';
import { SyntheticMarket } from './synthetic-market.ts';

export interface HistorySerde {
  encode(topic: string, value: object): Uint8Array;
}

export interface WriteHistoryResult {
  events: number;
  /** Smallest and largest record timestamp (tsEvent) written; NaN when nothing was written. */
  firstTs: number;
  lastTs: number;
  bayesAuc: number;
}

/** Records per append round (all topics together). */
export const HISTORY_BATCH = 5_000;

/**
 * Generates the synthetic market and appends every event to the log in delivery (tsInit) order:
 * batches of HISTORY_BATCH events, split by topic (order within a topic preserved), each record
 * keyed by its symbol / underlying with timestamp = tsEvent. onProgress gets the running event
 * count and the tsInit of the last event written after each batch. Returns the Bayes AUC of the
 * generated data at the default label config.
 */
export async function writeSyntheticHistory(
  log: EventLog,
  serde: HistorySerde,
  config: SyntheticConfig,
  onProgress?: (p: { events: number; ts: number }) => void,
): Promise<WriteHistoryResult> {
  const market = new SyntheticMarket(config);
  const appender = new FeedAppender(log, (topic, value) => serde.encode(topic, value));
  let events = 0;
  let firstTs = Number.POSITIVE_INFINITY;
  let lastTs = Number.NEGATIVE_INFINITY;
  let lastInit = Number.NaN;
  const flush = async (): Promise<void> => {
    events += await appender.flush();
    onProgress?.({ events, ts: lastInit });
  };
  for (const ev of market.events()) {
    const ts = ev.value.tsEvent;
    appender.add(ev);
    if (ts < firstTs) firstTs = ts;
    if (ts > lastTs) lastTs = ts;
    lastInit = ev.value.tsInit;
    if (appender.pending >= HISTORY_BATCH) await flush();
  }
  if (appender.pending > 0) await flush();
  return {
    events,
    firstTs: events > 0 ? firstTs : Number.NaN,
    lastTs: events > 0 ? lastTs : Number.NaN,
    bayesAuc: market.bayesAuc(),
  };
}
