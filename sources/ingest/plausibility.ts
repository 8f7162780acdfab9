/**
 * Plausibility bounds on imported values (docs/ingest.md, "Plausibility bounds"). A value outside
 * them is a typo, a unit mix-up or an attack, never market data: its row is rejected with a named
 * reason before it can touch any per-key state (the series' last time, the log's high-water mark).
 */

import { MAX_PRICE, MAX_SIZE } from '../../lib/plausible.ts';
import type { LiveFeedPosition } from './live-feed-bound.ts';

export { MAX_IV_RAW, MAX_PRICE, MAX_SIZE } from '../../lib/plausible.ts';

/** A price-like value (open/high/low/close, trade price, premium, spot, strike) that is too large. */
export function implausiblePrice(p: number): boolean {
  return p > MAX_PRICE;
}

export function implausibleSize(s: number): boolean {
  return s > MAX_SIZE;
}

export interface TimeBounds {
  /** Rows later than now + futureToleranceMs are `time-in-future` (a file of history holds no future). */
  nowMs: number;
  futureToleranceMs: number;
  /**
   * A row more than this after the last accepted row of its key is held: it is accepted only when
   * TIME_JUMP_CONFIRM rows in a row confirm the jump (each within this of the one before), else
   * rejected `time-jump`.
   */
  maxGapMs: number;
  /**
   * The log's live feed position (live-feed-bound.ts), null or absent when no feed wrote to it: an
   * event whose tsInit is after it is `ahead-of-live-feed` (aheadOfLiveFeed), checked by each
   * importer on the event it would append, after the duplicate check.
   */
  liveFeed?: LiveFeedPosition | null;
  /** Counts the events availableAt restamped (the summary's `availableAtLiveFeed`). */
  restamped?: { count: number };
}

/** True when an event with this tsInit would sit ahead of the log's live feed (see TimeBounds.liveFeed). */
export function aheadOfLiveFeed(bounds: TimeBounds, tsInit: number): boolean {
  return bounds.liveFeed != null && tsInit > bounds.liveFeed.tsInit;
}

/**
 * The tsInit of an imported event: its own time, or, in a log a live feed writes to, no earlier
 * than 1 ms after the feed's position (decisions.md D91). The live host processed everything up to
 * that position before the import existed, so the event became available to it only then; stamped
 * with its own earlier time, a replay (which merges by tsInit, each partition in offset order)
 * would place it before records the live host had already processed, and live and replay would
 * differ (test/unit/live/chain-before-live.test.ts). tsEvent and the record timestamp keep the
 * row's own time.
 */
export function availableAt(bounds: TimeBounds, tsInit: number): number {
  if (bounds.liveFeed == null || tsInit > bounds.liveFeed.tsInit) return tsInit;
  if (bounds.restamped) bounds.restamped.count++;
  return bounds.liveFeed.tsInit + 1;
}

/** Rows in a row, each within maxGapMs of the one before, that turn a jump into the file's new range. */
export const TIME_JUMP_CONFIRM = 5;
export const DEFAULT_MAX_GAP_MS = 30 * 86_400_000;
export const DEFAULT_FUTURE_TOLERANCE_MS = 86_400_000;

/** An item leaving the gate: accepted (reason null) or rejected with its reason. */
export interface Released<T> {
  item: T;
  reason: string | null;
}

interface KeyState<T> {
  /** Latest accepted time of the key. */
  ref: number;
  /** Rows held after a jump, in file order, with their times. */
  held: { item: T; ts: number }[];
}

/**
 * The time check of one file, per key (symbol, underlying), streaming in constant memory per key
 * (at most TIME_JUMP_CONFIRM rows held). The window is the file's own range as it unfolds: a row
 * is plausible when it is within maxGapMs after the rows of its key before it, or when enough rows
 * after it agree with it (a real gap in the data, such as a suspension, is followed by a run of
 * rows; a single mistyped year is not). Rows earlier than the key's latest are passed on unchanged
 * (the importers reject them as out-of-order or duplicates: they cannot raise a high-water mark).
 * The first row of a key sets its range. Items come out in file order among the accepted ones.
 */
export class TimeGate<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  private readonly latestPlausible: number;

  constructor(private readonly bounds: TimeBounds) {
    this.latestPlausible = bounds.nowMs + bounds.futureToleranceMs;
  }

  /** Offers one row; accepted and rejected rows (possibly earlier held ones) are pushed to `out`. */
  offer(key: string, ts: number, item: T, out: Released<T>[]): void {
    if (ts > this.latestPlausible) {
      out.push({ item, reason: 'time-in-future' });
      return;
    }
    const s = this.keys.get(key);
    if (s === undefined) {
      this.keys.set(key, { ref: ts, held: [] });
      out.push({ item, reason: null });
      return;
    }
    if (ts <= s.ref + this.bounds.maxGapMs) {
      this.dropHeld(s, out);
      if (ts > s.ref) s.ref = ts;
      out.push({ item, reason: null });
      return;
    }
    const last = s.held[s.held.length - 1];
    if (last !== undefined && (ts < last.ts || ts > last.ts + this.bounds.maxGapMs)) this.dropHeld(s, out);
    s.held.push({ item, ts });
    if (s.held.length >= TIME_JUMP_CONFIRM) {
      for (const h of s.held) out.push({ item: h.item, reason: null });
      s.ref = s.held[s.held.length - 1]!.ts;
      s.held = [];
    }
  }

  /**
   * The common case of offer() without an item: true when the row is accepted at once and nothing
   * else is released (a plausible time, no rows of its key held, within maxGapMs of its key's
   * latest or the key's first row), with the key's state updated exactly as offer() would; false,
   * changing nothing, when the caller must offer() the row instead.
   */
  pass(key: string, ts: number): boolean {
    if (ts > this.latestPlausible) return false;
    const s = this.keys.get(key);
    if (s === undefined) {
      this.keys.set(key, { ref: ts, held: [] });
      return true;
    }
    if (s.held.length > 0 || !(ts <= s.ref + this.bounds.maxGapMs)) return false;
    if (ts > s.ref) s.ref = ts;
    return true;
  }

  /** At the end of the file: rows still held had too few rows after them to confirm their jump. */
  end(out: Released<T>[]): void {
    for (const s of this.keys.values()) this.dropHeld(s, out);
  }

  private dropHeld(s: KeyState<T>, out: Released<T>[]): void {
    for (const h of s.held) out.push({ item: h.item, reason: 'time-jump' });
    s.held = [];
  }
}

/** The gate over a stream of parsed rows: rejected rows come out as `{ ok: false, reason }`. */
export async function* gateTimes<T>(
  rows: AsyncIterable<{ ok: true; value: T } | { ok: false; reason: string }>,
  keyOf: (v: T) => string,
  timeOf: (v: T) => number,
  bounds: TimeBounds,
): AsyncGenerator<{ ok: true; value: T } | { ok: false; reason: string }> {
  const gate = new TimeGate<T>(bounds);
  const out: Released<T>[] = [];
  const flush = function* (): Generator<{ ok: true; value: T } | { ok: false; reason: string }> {
    for (const r of out) yield r.reason === null ? { ok: true, value: r.item } : { ok: false, reason: r.reason };
    out.length = 0;
  };
  for await (const row of rows) {
    if (!row.ok) {
      yield row;
      continue;
    }
    gate.offer(keyOf(row.value), timeOf(row.value), row.value, out);
    yield* flush();
  }
  gate.end(out);
  yield* flush();
}
