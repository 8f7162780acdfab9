/**
 * The current column layout of every table the projector and the backtest store write, as
 * system.columns spells the types. Inserts name these columns explicitly (RowBinary is
 * positional), and `assertSchema` checks the live tables against this list before writing, so a
 * database on an older migration is refused instead of silently mis-decoded. The DDL that creates
 * the tables lives, frozen, in migrations.ts; a test checks the two agree.
 */
import type { ColumnSpec } from './row-binary.ts';

const col = (name: string, type: string): ColumnSpec => ({ name, type });
const LOG_POSITION = [col('log_partition', 'UInt32'), col('log_offset', 'UInt64')];
const ACTION = "Enum8('BUY' = 1, 'SELL' = 2, 'HOLD' = 3)";

export const TABLE_COLUMNS = {
  bars: [
    col('id', 'String'),
    col('symbol', 'String'),
    col('bar_interval', 'String'),
    col('bar_start', 'Int64'),
    col('bar_end', 'Int64'),
    col('ts_event', 'Int64'),
    col('ts_init', 'Int64'),
    col('open', 'Float64'),
    col('high', 'Float64'),
    col('low', 'Float64'),
    col('close', 'Float64'),
    col('volume', 'Float64'),
    col('buy_volume', 'Nullable(Float64)'),
    col('vwap', 'Float64'),
    col('trades', 'Int64'),
    ...LOG_POSITION,
  ],
  features: [
    col('id', 'String'),
    col('symbol', 'String'),
    col('bar_interval', 'String'),
    col('bar_end', 'Int64'),
    col('ts_event', 'Int64'),
    col('ts_init', 'Int64'),
    col('feature_set_id', 'String'),
    col('feature_set_hash', 'String'),
    col('feature_names', 'Array(String)'),
    col('feature_values', 'Array(Nullable(Float64))'),
    ...LOG_POSITION,
  ],
  signals: [
    col('id', 'String'),
    col('symbol', 'String'),
    col('bar_interval', 'String'),
    col('bar_end', 'Int64'),
    col('ts_event', 'Int64'),
    col('ts_init', 'Int64'),
    col('p_up', 'Float64'),
    col('p_flat', 'Float64'),
    col('p_down', 'Float64'),
    col('action', ACTION),
    col('confidence', 'Float64'),
    col('model_id', 'String'),
    col('feature_set_hash', 'String'),
    col('input_topics', 'Array(String)'),
    col('input_partitions', 'Array(UInt32)'),
    col('input_from_offsets', 'Array(Int64)'),
    col('input_to_offsets', 'Array(Int64)'),
    ...LOG_POSITION,
    // Added by migration 3 (ALTER ... ADD COLUMN appends them after the log position).
    col('expected_return', 'Nullable(Float64)'),
    col('q10', 'Nullable(Float64)'),
    col('q50', 'Nullable(Float64)'),
    col('q90', 'Nullable(Float64)'),
    col('contribution_features', 'Array(String)'),
    col('contribution_values', 'Array(Float64)'),
    col('size', 'Nullable(Float64)'),
    col('stop', 'Nullable(Float64)'),
    col('target', 'Nullable(Float64)'),
    col('expires_at', 'Nullable(Int64)'),
    col('reason', 'Nullable(String)'),
  ],
  model_health: [
    col('id', 'String'),
    col('symbol', 'String'),
    col('ts_event', 'Int64'),
    col('ts_init', 'Int64'),
    col('model_id', 'String'),
    col('vectors', 'Int64'),
    col('window_size', 'Int64'),
    col('psi_max', 'Nullable(Float64)'),
    col('psi_feature', 'Nullable(String)'),
    col('drifted_features', 'Array(String)'),
    col('matured', 'Int64'),
    col('hit_rate', 'Nullable(Float64)'),
    col('hit_rate_upper', 'Nullable(Float64)'),
    col('expected_hit_rate_lo', 'Nullable(Float64)'),
    col('expected_hit_rate_hi', 'Nullable(Float64)'),
    col('mean_confidence', 'Nullable(Float64)'),
    col('calibration_gap', 'Nullable(Float64)'),
    col('retrain', 'UInt32'),
    col('priority', 'Nullable(String)'),
    col('reason', 'Nullable(String)'),
    ...LOG_POSITION,
  ],
  late_events: [
    col('id', 'String'),
    col('symbol', 'String'),
    col('ts_event', 'Int64'),
    col('ts_init', 'Int64'),
    col('source_topic', 'String'),
    col('source_partition', 'UInt32'),
    col('source_offset', 'Int64'),
    col('watermark', 'Int64'),
    col('reason', 'String'),
    ...LOG_POSITION,
  ],
  dead_letters: [
    col('id', 'String'),
    col('ts_init', 'Int64'),
    col('source_topic', 'String'),
    col('source_partition', 'UInt32'),
    col('source_offset', 'Int64'),
    col('key', 'String'),
    col('reason', 'String'),
    col('payload', 'String'),
    ...LOG_POSITION,
  ],
  backtest_runs: [
    col('id', 'String'),
    col('model_id', 'String'),
    col('symbols', 'Array(String)'),
    col('params', 'String'),
    col('metrics', 'String'),
    col('trades', 'UInt32'),
    col('first_t', 'Int64'),
    col('last_t', 'Int64'),
  ],
  backtest_trades: [
    col('run_id', 'String'),
    col('seq', 'UInt32'),
    col('symbol', 'String'),
    col('entry_time', 'Int64'),
    col('exit_time', 'Int64'),
    col('trade', 'String'),
  ],
  backtest_equity: [col('run_id', 'String'), col('seq', 'UInt32'), col('t', 'Int64'), col('equity', 'Float64')],
  tickflow_offsets: [col('consumer', 'String'), col('topic', 'String'), col('log_partition', 'UInt32'), col('next_offset', 'UInt64')],
} as const satisfies Record<string, readonly ColumnSpec[]>;

export type TableName = keyof typeof TABLE_COLUMNS;

/** Derived topic -> table. The projector projects exactly these topics. */
export const TOPIC_TABLES = {
  bars: 'bars',
  features: 'features',
  signals: 'signals',
  'late-events': 'late_events',
  'dead-letters': 'dead_letters',
  'model-health': 'model_health',
} as const satisfies Record<string, TableName>;

export type ProjectedTopic = keyof typeof TOPIC_TABLES;
export const PROJECTED_TOPICS = Object.keys(TOPIC_TABLES) as ProjectedTopic[];
