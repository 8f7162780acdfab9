import { isInSession, type SessionCalendar } from '../../processors/calendar/index.ts';
import { TOPICS, type OptionChainSnapshot } from '../../schemas/index.ts';
import { ChainSnapshotBuilder, type PricingAssumptions } from './chain-snapshot-builder.ts';
import { ChainSlotGaps } from './chain-slot-gaps.ts';
import { existingIdentities } from './existing-identities.ts';
import type { IngestTarget } from './ingest-candles.ts';
import { IngestStats } from './ingest-stats.ts';
import type { OptionRow } from './option-row.ts';
import type { Parsed } from './parsed.ts';
import { TimeGate, aheadOfLiveFeed, availableAt, type Released, type TimeBounds } from './plausibility.ts';
import { TopicAppender } from './topic-appender.ts';

export function snapshotId(s: Pick<OptionChainSnapshot, 'underlying' | 'tsEvent'>): string {
  return `${s.underlying}|${s.tsEvent}`;
}

export interface ChainIngestOptions {
  /**
   * Rows of one underlying whose times lie within this many ms of the first row of an open
   * snapshot join that snapshot (`--snapshot-window`); 0 (default) = the exact same time.
   */
  snapshotWindowMs?: number;
  /** Gap slot length: in-session slots of this length with no usable snapshot are `gaps` (default 5 minutes). */
  gapSlotMs?: number;
  /** Time plausibility (plausibility.ts), checked per row before a row can move any time state. */
  bounds: TimeBounds;
  /**
   * `--max-chain-rows`: most contract rows one snapshot may hold (default DEFAULT_MAX_CHAIN_ROWS).
   * A snapshot's rows are held until it closes, so this bounds memory: rows past the limit are
   * counted, not held, and the whole snapshot is rejected `too-many-rows` (each of its rows
   * `snapshot-too-large`).
   */
  maxChainRows?: number;
}

/** Contract rows per snapshot by default: ~35 times the largest snapshot of the NSE NIFTY chain file (541-560 rows; docs/benchmarks.md). */
export const DEFAULT_MAX_CHAIN_ROWS = 20_000;

export interface ChainIngestResult {
  /** Per snapshot. */
  snapshots: IngestStats;
  /** Per contract row (rows dropped inside snapshots that may still be accepted). */
  rows: IngestStats;
  builder: ChainSnapshotBuilder;
  /** Values dropped from rows that were kept (an IV of `abc`, NaN or Infinity), by reason. */
  valuesDropped: Map<string, number>;
}

interface OpenSnapshot {
  underlying: string;
  firstTs: number;
  lastTs: number;
  rows: OptionRow[];
  /** Rows past maxChainRows, counted but not held. */
  overflow: number;
}

/**
 * The fingerprint staleness is judged on: spot and each contract's market fields (bid, ask, last,
 * OI, volume) as read from the file. IVs and greeks are left out: solved ones change with time to
 * expiry alone, and a vendor's may be recomputed the same way, so an unchanged after-hours chain
 * would look new every minute.
 */
function rawFingerprint(rows: readonly OptionRow[]): string {
  const spot = rows.find((r) => r.spot !== null && Number.isFinite(r.spot) && r.spot > 0)?.spot ?? null;
  const parts = rows.map((r) => `${r.expiry}|${r.strike}|${r.right}|${r.bid}|${r.ask}|${r.last}|${r.openInterest}|${r.volume}`).sort();
  return `${spot}\n${parts.join('\n')}`;
}

/**
 * Groups contract rows into one snapshot per underlying and time window, in file order: rows must
 * come in non-decreasing time (a row older than the latest row read is `out-of-order`). A snapshot
 * opens at its first row and takes that underlying's rows up to `snapshotWindowMs` later; its time
 * (tsEvent = tsInit) is its last row's, when it was complete. Inside a window a contract seen
 * again replaces the earlier row (row reason `superseded`); at window 0 a repeat is a `duplicate`.
 * Each snapshot is then checked, in this order: identical raw fields to the underlying's previous
 * snapshot (`stale`, not appended); outside the calendar's session (`outside-session`: never
 * appended, so no out-of-session snapshot feeds an in-session feature or prices a bar before the
 * open); built (`spot-not-positive`); already in the log (`duplicate`); dated after the log's live feed
 * (`ahead-of-live-feed`, plausibility.ts); older than the log (`older-than-log`). A snapshot of more than `maxChainRows` rows is `too-many-rows` before all
 * of these (its rows past the limit were never held). The rest are appended to `options` keyed by underlying, record timestamp =
 * tsEvent. Snapshots are appended in (time, underlying) order. Gaps: see ChainSlotGaps.
 */
export async function ingestChains(
  rows: AsyncIterable<Parsed<OptionRow>>,
  target: IngestTarget,
  calendar: SessionCalendar,
  pricing: PricingAssumptions,
  onRow: (() => void) | undefined,
  options: ChainIngestOptions,
): Promise<ChainIngestResult> {
  const windowMs = options.snapshotWindowMs ?? 0;
  const topic = TOPICS.options.name;
  const existing = await existingIdentities<OptionChainSnapshot>(target.log, topic, target.decode, (s) => ({ id: snapshotId(s), key: s.underlying, ts: s.tsEvent }), options.bounds.nowMs + options.bounds.futureToleranceMs);
  const snapshots = new IngestStats();
  const rowStats = new IngestStats();
  const builder = new ChainSnapshotBuilder(pricing);
  const gaps = new ChainSlotGaps(calendar, options.gapSlotMs ?? 5 * 60_000);
  const appender = new TopicAppender(target.log, topic, 200);
  const previous = new Map<string, string>();
  const open = new Map<string, OpenSnapshot>();
  let latestRowTs = Number.NEGATIVE_INFINITY;
  const gate = new TimeGate<OptionRow>(options.bounds);
  const released: Released<OptionRow>[] = [];
  const valuesDropped = new Map<string, number>();

  const maxRows = options.maxChainRows ?? DEFAULT_MAX_CHAIN_ROWS;
  const emit = async (s: OpenSnapshot): Promise<void> => {
    if (s.overflow > 0) {
      // Not compared with the previous snapshot either: a later one of normal size is judged against the last one kept.
      snapshots.reject('too-many-rows');
      rowStats.reject('snapshot-too-large', s.rows.length + s.overflow);
      return;
    }
    const fingerprint = rawFingerprint(s.rows);
    const repeat = previous.get(s.underlying) === fingerprint;
    previous.set(s.underlying, fingerprint);
    if (repeat) {
      snapshots.stale++;
      return;
    }
    if (!isInSession(calendar, s.lastTs)) {
      snapshots.reject('outside-session');
      return;
    }
    const built = builder.build(s.lastTs, s.underlying, s.rows, (reason) => rowStats.reject(reason));
    if (!built.ok) {
      snapshots.reject(built.reason);
      return;
    }
    const snap = built.value;
    if (existing.ids.has(snapshotId(snap))) {
      gaps.covered(snap.underlying, snap.tsEvent);
      snapshots.reject('duplicate');
      return;
    }
    if (aheadOfLiveFeed(options.bounds, snap.tsInit)) {
      snapshots.reject('ahead-of-live-feed');
      return;
    }
    if (snap.tsEvent < (existing.lastTs.get(s.underlying) ?? Number.NEGATIVE_INFINITY)) {
      snapshots.reject('older-than-log');
      return;
    }
    gaps.covered(snap.underlying, snap.tsEvent);
    snapshots.accept(s.underlying, snap.tsEvent);
    rowStats.accepted += snap.contracts.length;
    await appender.push({ key: s.underlying, timestamp: snap.tsEvent, value: target.encode(topic, { ...snap, tsInit: availableAt(options.bounds, snap.tsInit) }) });
  };

  /** Emits every open snapshot that no row at time `ts` (or later) can join, by (time, underlying). */
  const closeBefore = async (ts: number): Promise<void> => {
    const due = [...open.values()].filter((s) => s.firstTs + windowMs < ts);
    if (due.length === 0) return;
    due.sort((a, b) => a.lastTs - b.lastTs || (a.underlying < b.underlying ? -1 : a.underlying > b.underlying ? 1 : 0));
    for (const s of due) {
      open.delete(s.underlying);
      await emit(s);
    }
  };

  const take = async (r: OptionRow): Promise<void> => {
    if (r.ts < latestRowTs) {
      rowStats.reject('out-of-order');
      return;
    }
    latestRowTs = r.ts;
    await closeBefore(r.ts);
    const s = open.get(r.underlying);
    if (s === undefined) {
      open.set(r.underlying, { underlying: r.underlying, firstTs: r.ts, lastTs: r.ts, rows: [r], overflow: 0 });
      return;
    }
    s.lastTs = r.ts;
    if (windowMs > 0) {
      const i = s.rows.findIndex((x) => x.expiry === r.expiry && x.strike === r.strike && x.right === r.right);
      if (i >= 0) {
        rowStats.reject('superseded');
        s.rows[i] = r;
        return;
      }
    }
    if (s.rows.length >= maxRows) s.overflow++;
    else s.rows.push(r);
  };
  const drain = async (): Promise<void> => {
    for (const x of released) {
      if (x.reason !== null) rowStats.reject(x.reason);
      else await take(x.item);
    }
    released.length = 0;
  };

  for await (const row of rows) {
    onRow?.();
    if (!row.ok) {
      rowStats.reject(row.reason);
      continue;
    }
    for (const d of row.value.dropped ?? []) valuesDropped.set(d, (valuesDropped.get(d) ?? 0) + 1);
    gate.offer(row.value.underlying, row.value.ts, row.value, released);
    await drain();
  }
  gate.end(released);
  await drain();
  await closeBefore(Number.POSITIVE_INFINITY);
  await appender.flush();
  const g = gaps.count();
  snapshots.gaps = g.gaps;
  snapshots.gapRuns = g.runs;
  return { snapshots, rows: rowStats, builder, valuesDropped };
}
