/**
 * Derived record -> table row. Row ids come from the record's content, so the same event read
 * twice (a rebuild, a restart after a crash) yields the same id and collapses in ClickHouse:
 * bar symbol|interval|end, feature vector symbol|interval|barEnd|featureSetHash, signal its own
 * id, late event and dead letter topic|partition|offset of the input they describe, model-health
 * report modelId|symbol|tsEvent.
 */
import type { z } from 'zod';
import type { Row } from './row-binary.ts';
import { barSchema, deadLetterSchema, describeIssue, featureVectorSchema, lateEventSchema, modelHealthSchema, signalSchema } from './derived-schemas.ts';
import type { ProjectedTopic } from './tables.ts';

export interface LogPosition {
  partition: number;
  offset: number;
}

export type Projected = { ok: true; row: Row } | { ok: false; reason: string };

interface Projection<S extends z.ZodType> {
  schema: S;
  toRow(value: z.output<S>): Row;
}

const projection = <S extends z.ZodType>(schema: S, toRow: (value: z.output<S>) => Row): Projection<S> => ({ schema, toRow });

const PROJECTIONS: Record<ProjectedTopic, Projection<z.ZodType>> = {
  bars: projection(barSchema, (b) => ({
    id: `${b.symbol}|${b.interval}|${b.end}`,
    symbol: b.symbol,
    bar_interval: b.interval,
    bar_start: b.start,
    bar_end: b.end,
    ts_event: b.tsEvent,
    ts_init: b.tsInit,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    buy_volume: b.buyVolume,
    vwap: b.vwap,
    trades: b.trades,
  })),
  features: projection(featureVectorSchema, (f) => ({
    id: `${f.symbol}|${f.interval}|${f.barEnd}|${f.featureSetHash}`,
    symbol: f.symbol,
    bar_interval: f.interval,
    bar_end: f.barEnd,
    ts_event: f.tsEvent,
    ts_init: f.tsInit,
    feature_set_id: f.featureSetId,
    feature_set_hash: f.featureSetHash,
    // Parallel arrays in the feature set's order; value i belongs to name i.
    feature_names: Object.keys(f.features),
    feature_values: Object.values(f.features),
  })),
  signals: projection(signalSchema, (s) => ({
    id: s.id,
    symbol: s.symbol,
    bar_interval: s.interval,
    bar_end: s.barEnd,
    ts_event: s.tsEvent,
    ts_init: s.tsInit,
    p_up: s.pUp,
    p_flat: s.pFlat,
    p_down: s.pDown,
    action: s.action,
    confidence: s.confidence,
    model_id: s.modelId,
    feature_set_hash: s.featureSetHash,
    input_topics: s.inputs.map((r) => r.topic),
    input_partitions: s.inputs.map((r) => r.partition),
    input_from_offsets: s.inputs.map((r) => r.fromOffset),
    input_to_offsets: s.inputs.map((r) => r.toOffset),
    expected_return: s.expectedReturn ?? null,
    q10: s.q10 ?? null,
    q50: s.q50 ?? null,
    q90: s.q90 ?? null,
    contribution_features: (s.contributions ?? []).map((c) => c.feature),
    contribution_values: (s.contributions ?? []).map((c) => c.value),
    size: s.size ?? null,
    stop: s.stop ?? null,
    target: s.target ?? null,
    expires_at: s.expiresAt ?? null,
    reason: s.reason ?? null,
    // The option contract as flat columns, all null when the signal names none.
    contract_underlying: s.contract?.underlying ?? null,
    contract_expiry: s.contract?.expiry ?? null,
    contract_strike: s.contract?.strike ?? null,
    contract_right: s.contract?.right ?? null,
    contract_premium: s.contract?.premium ?? null,
    contract_premium_source: s.contract?.premiumSource ?? null,
    contract_iv: s.contract?.iv ?? null,
    contract_chain_at: s.contract?.chainAt ?? null,
    // The timeframe views as parallel arrays, element i of each is view i (empty: no bundle).
    timeframe_intervals: (s.timeframes ?? []).map((t) => t.interval),
    timeframe_model_ids: (s.timeframes ?? []).map((t) => t.modelId),
    timeframe_bar_ends: (s.timeframes ?? []).map((t) => t.barEnd),
    timeframe_p_up: (s.timeframes ?? []).map((t) => t.pUp),
    timeframe_p_flat: (s.timeframes ?? []).map((t) => t.pFlat),
    timeframe_p_down: (s.timeframes ?? []).map((t) => t.pDown),
    timeframe_weights: (s.timeframes ?? []).map((t) => t.weight),
    timeframe_log_odds: (s.timeframes ?? []).map((t) => t.logOdds),
    timeframe_agrees: (s.timeframes ?? []).map((t) => (t.agrees ? 1 : 0)),
  })),
  'model-health': projection(modelHealthSchema, (h) => ({
    id: `${h.modelId}|${h.symbol}|${h.tsEvent}`,
    symbol: h.symbol,
    ts_event: h.tsEvent,
    ts_init: h.tsInit,
    model_id: h.modelId,
    vectors: h.vectors,
    window_size: h.window,
    psi_max: h.psiMax,
    psi_feature: h.psiFeature,
    drifted_features: h.driftedFeatures,
    matured: h.matured,
    hit_rate: h.hitRate,
    hit_rate_upper: h.hitRateUpper,
    expected_hit_rate_lo: h.expectedHitRateLo,
    expected_hit_rate_hi: h.expectedHitRateHi,
    mean_confidence: h.meanConfidence,
    calibration_gap: h.calibrationGap,
    retrain: h.retrain ? 1 : 0,
    priority: h.priority,
    reason: h.reason,
  })),
  'late-events': projection(lateEventSchema, (e) => ({
    id: `${e.topic}|${e.partition}|${e.offset}`,
    symbol: e.symbol,
    ts_event: e.tsEvent,
    ts_init: e.tsInit,
    source_topic: e.topic,
    source_partition: e.partition,
    source_offset: e.offset,
    watermark: e.watermark,
    reason: e.reason,
  })),
  'dead-letters': projection(deadLetterSchema, (d) => ({
    id: `${d.topic}|${d.partition}|${d.offset}`,
    ts_init: d.tsInit,
    source_topic: d.topic,
    source_partition: d.partition,
    source_offset: d.offset,
    key: d.key,
    reason: d.reason,
    payload: d.payload,
  })),
};

/** Validates a decoded record of `topic` and converts it; a bad record gives a reason, not a row. */
export function projectRecord(topic: ProjectedTopic, value: unknown, position: LogPosition): Projected {
  const p = PROJECTIONS[topic];
  const parsed = p.schema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
  return { ok: true, row: { ...p.toRow(parsed.data), log_partition: position.partition, log_offset: position.offset } };
}
