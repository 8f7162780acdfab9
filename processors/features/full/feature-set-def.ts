import type { Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';

/**
 * A feature set the graph can run: what it is (id, hash, column names), which bar intervals it
 * wants, and a factory of per-symbol state. CORE_FEATURE_SET (core-v1) and FULL_FEATURE_SET
 * (full-v1) implement it (see core-feature-set.ts, full-feature-set.ts).
 */
export interface FeatureSetDef {
  readonly id: string;
  readonly hash: string;
  /** Column order of vector(). */
  readonly names: readonly string[];
  /** Bar intervals the state wants, e.g. ['1m', '5m', '15m', '1h']; others are ignored by onBar. */
  readonly intervals: readonly string[];
  /** The interval whose bars get feature vectors (and signals), one of SIGNAL_INTERVALS. */
  readonly signalInterval: string;
  create(symbol: string): FeatureState;
  /**
   * Cross-symbol sets (cross-v1) only: the symbol whose signal-interval closes every symbol's
   * vector may read. computeFeatures then holds each symbol's bars until the reference has passed
   * their end (see computeFeatures), and gives vector() the reference's closes.
   */
  readonly reference?: string;
  /** With `reference`: the most signal bars a symbol waits for it (then its cross columns are null). */
  readonly holdBars?: number;
}

/** The reference's close of the signal-interval bar ending exactly at `end` (ends ≤ the vector's bar end), or null. */
export type ReferenceCloses = (end: number) => number | null;

/** The features of one symbol. */
export interface FeatureState {
  /**
   * Feeds a bar of any interval, in close order: by (end, interval rank: smaller first, then
   * symbol). So at one instant the 1m bar comes before the 5m bar and the 15m/1h bars after it.
   */
  onBar(bar: Bar): void;
  /**
   * The feature record (keys in `names` order; null = not available) at the signal-interval (5m)
   * bar ending at barEnd, called right after that bar was fed. chainAsOf(t) is the chain snapshot
   * available at t (as-of join on availability time), or null. `ref` (sets with a reference):
   * the reference's closes; null when the symbol stopped waiting for it (holdBars).
   */
  vector(chainAsOf: (t: number) => OptionChainSnapshot | null, barEnd: number, ref?: ReferenceCloses | null): Record<string, number | null>;
  /** The whole state as JSON-safe data (chain snapshots are not part of it). */
  snapshot(): unknown;
  restore(s: unknown): void;
}
