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
}

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
   * available at t (as-of join on availability time), or null.
   */
  vector(chainAsOf: (t: number) => OptionChainSnapshot | null, barEnd: number): Record<string, number | null>;
  /** The whole state as JSON-safe data (chain snapshots are not part of it). */
  snapshot(): unknown;
  restore(s: unknown): void;
}
