import type { Bar, OptionChainSnapshot, Trade } from '../schemas/index.ts';
import type { HealthReference } from './health/model-health.ts';
import type { DecisionPolicy } from './decision/policy.ts';

/** Where an input sits in the log. Carried through the graph for provenance. */
export interface LogPosition {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * What the processing graph consumes: decoded inputs in one deterministic order (see
 * docs/time-and-determinism.md), plus records that could not be decoded, which the graph
 * dead-letters and counts instead of throwing.
 */
export type InputEvent =
  | { kind: 'trade'; pos: LogPosition; value: Trade }
  | { kind: 'chain'; pos: LogPosition; value: OptionChainSnapshot }
  | { kind: 'candle'; pos: LogPosition; value: Bar }
  | { kind: 'undecodable'; pos: LogPosition; key: string; tsInit: number; reason: string; payload: Uint8Array };

/** Class order used everywhere (labels, probabilities, metrics). */
export const CLASSES = ['UP', 'FLAT', 'DOWN'] as const;
export type ClassName = (typeof CLASSES)[number];

/**
 * A trained model as the graph sees it: synchronous, one row at a time (live and replay use the
 * same call, so their floating-point results are the same).
 */
/** One symbol's window inside a sequence model (Predictor.openWindow). */
export interface WindowScorer {
  /** Takes the next feature row (featureNames order); true once the window is full. */
  push(row: Float64Array): boolean;
  /** Probabilities of the last `window` rows, in CLASSES order; only after push returned true. */
  predict(): [number, number, number];
}

export interface Predictor {
  readonly modelId: string;
  readonly featureSetHash: string;
  readonly featureNames: readonly string[];
  /**
   * Sequence models: how many feature rows predict() takes (the symbol's last `window` complete
   * vectors, oldest first, concatenated; the infer operator keeps them as graph state). Absent or
   * 1: one row.
   */
  readonly window?: number;
  /** Probabilities in CLASSES order, summing to 1. */
  predict(row: Float64Array): [number, number, number];
  /**
   * Sequence models that score incrementally (D76): a new, empty scorer of one symbol's window,
   * fed one feature row at a time; its predict() after a push that returned true equals predict()
   * of the last `window` rows concatenated, bit for bit. Absent or null: the infer operator
   * concatenates the window and calls predict().
   */
  openWindow?(): WindowScorer | null;
  /**
   * Forward-return heads for the same row: expected forward log return and its quantiles 10/50/90
   * (q10 <= q50 <= q90). Absent or null: the model has none (the signal's fields stay null).
   */
  heads?(row: Float64Array): { expectedReturn: number; q10: number; q50: number; q90: number } | null;
  /**
   * Per-feature contributions (featureNames order) to class `cls` (CLASSES index) for the same
   * row; a scratch buffer. Absent or null: the model does not explain (the signal's list stays empty).
   */
  contributions?(row: Float64Array, cls: number): ArrayLike<number> | null;
  /** What the model-health monitor compares live behaviour with; absent: no model-health reports. */
  readonly health?: HealthReference | undefined;
  /** The model's decision policy (manifest `policy`); absent = the threshold rule (signal-rule.ts). */
  readonly policy?: DecisionPolicy | undefined;
}

/**
 * Streaming indicator contract (after trading-signals): results before warm-up are null;
 * replace() swaps the latest input; snapshot()/restore() round-trip the whole state.
 */
export interface Indicator<I, O = number> {
  /** Inputs needed before the first non-null result. */
  readonly warmUp: number;
  readonly isStable: boolean;
  add(input: I): O | null;
  replace(input: I): O | null;
  getResult(): O | null;
  reset(): void;
  snapshot(): unknown;
  restore(state: unknown): void;
}
