import { isInSession, type SessionCalendar } from '../../processors/calendar/index.ts';
import { TOPICS, type OptionChainSnapshot } from '../../schemas/index.ts';
import { ChainSnapshotBuilder, type PricingAssumptions } from './chain-snapshot-builder.ts';
import { existingIdentities } from './existing-identities.ts';
import type { IngestTarget } from './ingest-candles.ts';
import { IngestStats } from './ingest-stats.ts';
import type { OptionRow } from './option-row.ts';
import type { Parsed } from './parsed.ts';
import { TopicAppender } from './topic-appender.ts';

export function snapshotId(s: Pick<OptionChainSnapshot, 'underlying' | 'tsEvent'>): string {
  return `${s.underlying}|${s.tsEvent}`;
}

export interface ChainIngestResult {
  /** Per snapshot. */
  snapshots: IngestStats;
  /** Per contract row (rows dropped inside snapshots that may still be accepted). */
  rows: IngestStats;
  builder: ChainSnapshotBuilder;
}

/**
 * Groups contract rows into one snapshot per (time, underlying), in file order: rows must come in
 * non-decreasing time (a row older than the current snapshot time is `out-of-order`). Each
 * snapshot is built, checked for staleness (identical to the underlying's previous snapshot and
 * outside the calendar's session: counted in `stale`, not appended), for identity already in the
 * log (`duplicate`) and for time order against the log (`older-than-log`), then appended to
 * `options` keyed by underlying, record timestamp = tsEvent = tsInit = snapshot time.
 */
export async function ingestChains(
  rows: AsyncIterable<Parsed<OptionRow>>,
  target: IngestTarget,
  calendar: SessionCalendar,
  pricing: PricingAssumptions,
  onRow?: () => void,
): Promise<ChainIngestResult> {
  const topic = TOPICS.options.name;
  const existing = await existingIdentities<OptionChainSnapshot>(target.log, topic, target.decode, (s) => ({ id: snapshotId(s), key: s.underlying, ts: s.tsEvent }));
  const snapshots = new IngestStats();
  const rowStats = new IngestStats();
  const builder = new ChainSnapshotBuilder(pricing);
  const appender = new TopicAppender(target.log, topic, 200);
  const previous = new Map<string, string>();
  let groups = new Map<string, OptionRow[]>();
  let currentTs = Number.NEGATIVE_INFINITY;

  const flush = async (): Promise<void> => {
    for (const [underlying, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const built = builder.build(currentTs, underlying, group, (reason) => rowStats.reject(reason));
      if (!built.ok) {
        snapshots.reject(built.reason);
        continue;
      }
      const snap = built.value;
      const fingerprint = JSON.stringify([snap.spot, snap.contracts]);
      const repeat = previous.get(underlying) === fingerprint;
      previous.set(underlying, fingerprint);
      if (repeat && !isInSession(calendar, snap.tsEvent)) {
        snapshots.stale++;
        continue;
      }
      if (existing.ids.has(snapshotId(snap))) {
        snapshots.reject('duplicate');
        continue;
      }
      if (snap.tsEvent < (existing.lastTs.get(underlying) ?? Number.NEGATIVE_INFINITY)) {
        snapshots.reject('older-than-log');
        continue;
      }
      snapshots.accept(underlying, snap.tsEvent);
      rowStats.accepted += snap.contracts.length;
      await appender.push({ key: underlying, timestamp: snap.tsEvent, value: target.encode(topic, snap) });
    }
    groups = new Map();
  };

  for await (const row of rows) {
    onRow?.();
    if (!row.ok) {
      rowStats.reject(row.reason);
      continue;
    }
    const r = row.value;
    if (r.ts < currentTs) {
      rowStats.reject('out-of-order');
      continue;
    }
    if (r.ts > currentTs) {
      await flush();
      currentTs = r.ts;
    }
    let g = groups.get(r.underlying);
    if (g === undefined) groups.set(r.underlying, (g = []));
    g.push(r);
  }
  await flush();
  await appender.flush();
  return { snapshots, rows: rowStats, builder };
}
