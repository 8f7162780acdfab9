/**
 * Versioned schema migrations, recorded in `tickflow_migrations`. Each migration is frozen once
 * released: a later change is a new migration, never an edit. Statements are idempotent
 * (IF NOT EXISTS) so a crash between a statement and its record is repaired by running again.
 *
 * The DDL uses only what ClickHouse 18.16 has (no DateTime64, LowCardinality, codecs or TTL) and
 * runs unchanged on current ClickHouse. Times are Int64 epoch milliseconds, UTC.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { identifier, qualified, quoteString, sqlInt } from './sql.ts';

export interface Migration {
  version: number;
  name: string;
  /** Statements, with `{db}` standing for the database name. */
  statements: string[];
  /**
   * 18.16 has no `ADD COLUMN IF NOT EXISTS`: a migration whose ALTER adds columns names one of
   * them here, and the ALTER is skipped when that column exists (a crash between the ALTER and the
   * migration's record is then repaired by running it again, as `IF NOT EXISTS` does elsewhere).
   */
  addsColumn?: { statement: number; table: string; column: string };
}

export interface MigrateResult {
  /** `${version}-${name}` of each migration applied by this call, in order. */
  applied: string[];
  /** Highest version now recorded. */
  version: number;
}

const month = (column: string): string => `toYYYYMM(toDateTime(intDiv(${column}, 1000), 'UTC'))`;

/**
 * Derived-topic tables are ReplacingMergeTree with a sorting key that is, or is a bijection of,
 * the row id, so a re-inserted event collapses into one row at merge time (and at read time with
 * FINAL). The version column is the log offset: the later record of an id wins.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'derived-topics',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.bars (id String, symbol String, bar_interval String, bar_start Int64, bar_end Int64,
        ts_event Int64, ts_init Int64, open Float64, high Float64, low Float64, close Float64, volume Float64,
        buy_volume Nullable(Float64), vwap Float64, trades Int64, log_partition UInt32, log_offset UInt64)
       ENGINE = ReplacingMergeTree(log_offset) PARTITION BY ${month('bar_end')} ORDER BY (symbol, bar_interval, bar_end)`,
      `CREATE TABLE IF NOT EXISTS {db}.features (id String, symbol String, bar_interval String, bar_end Int64,
        ts_event Int64, ts_init Int64, feature_set_id String, feature_set_hash String,
        feature_names Array(String), feature_values Array(Nullable(Float64)), log_partition UInt32, log_offset UInt64)
       ENGINE = ReplacingMergeTree(log_offset) PARTITION BY ${month('bar_end')}
       ORDER BY (symbol, bar_interval, bar_end, feature_set_hash)`,
      `CREATE TABLE IF NOT EXISTS {db}.signals (id String, symbol String, bar_interval String, bar_end Int64,
        ts_event Int64, ts_init Int64, p_up Float64, p_flat Float64, p_down Float64,
        action Enum8('BUY' = 1, 'SELL' = 2, 'HOLD' = 3), confidence Float64, model_id String, feature_set_hash String,
        input_topics Array(String), input_partitions Array(UInt32), input_from_offsets Array(Int64),
        input_to_offsets Array(Int64), log_partition UInt32, log_offset UInt64)
       ENGINE = ReplacingMergeTree(log_offset) PARTITION BY ${month('bar_end')} ORDER BY (symbol, bar_end, id)`,
      `CREATE TABLE IF NOT EXISTS {db}.late_events (id String, symbol String, ts_event Int64, ts_init Int64,
        source_topic String, source_partition UInt32, source_offset Int64, watermark Int64, reason String,
        log_partition UInt32, log_offset UInt64)
       ENGINE = ReplacingMergeTree(log_offset) PARTITION BY ${month('ts_event')} ORDER BY (symbol, ts_event, id)`,
      `CREATE TABLE IF NOT EXISTS {db}.dead_letters (id String, ts_init Int64, source_topic String,
        source_partition UInt32, source_offset Int64, key String, reason String, payload String,
        log_partition UInt32, log_offset UInt64)
       ENGINE = ReplacingMergeTree(log_offset) PARTITION BY ${month('ts_init')}
       ORDER BY (source_topic, source_partition, source_offset)`,
      `CREATE TABLE IF NOT EXISTS {db}.tickflow_offsets (consumer String, topic String, log_partition UInt32,
        next_offset UInt64)
       ENGINE = ReplacingMergeTree(next_offset) ORDER BY (consumer, topic, log_partition)`,
    ],
  },
  {
    version: 2,
    name: 'backtests',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.backtest_runs (id String, model_id String, symbols Array(String),
        params String, metrics String, trades UInt32, first_t Int64, last_t Int64)
       ENGINE = ReplacingMergeTree() ORDER BY (model_id, id)`,
      `CREATE TABLE IF NOT EXISTS {db}.backtest_trades (run_id String, seq UInt32, symbol String,
        entry_time Int64, exit_time Int64, trade String)
       ENGINE = ReplacingMergeTree() ORDER BY (run_id, seq)`,
      `CREATE TABLE IF NOT EXISTS {db}.backtest_equity (run_id String, seq UInt32, t Int64, equity Float64)
       ENGINE = ReplacingMergeTree() ORDER BY (run_id, seq)`,
    ],
  },
  {
    version: 3,
    name: 'signal-heads-policy-and-model-health',
    addsColumn: { statement: 0, table: 'signals', column: 'expected_return' },
    statements: [
      // One ALTER: the columns the Signal gained (heads and contributions, D31; the decision policy, D34).
      `ALTER TABLE {db}.signals ADD COLUMN expected_return Nullable(Float64), ADD COLUMN q10 Nullable(Float64),
        ADD COLUMN q50 Nullable(Float64), ADD COLUMN q90 Nullable(Float64), ADD COLUMN contribution_features Array(String),
        ADD COLUMN contribution_values Array(Float64), ADD COLUMN size Nullable(Float64), ADD COLUMN stop Nullable(Float64),
        ADD COLUMN target Nullable(Float64), ADD COLUMN expires_at Nullable(Int64), ADD COLUMN reason Nullable(String)`,
      `CREATE TABLE IF NOT EXISTS {db}.model_health (id String, symbol String, ts_event Int64, ts_init Int64, model_id String,
        vectors Int64, window_size Int64, psi_max Nullable(Float64), psi_feature Nullable(String), drifted_features Array(String),
        matured Int64, hit_rate Nullable(Float64), hit_rate_upper Nullable(Float64), expected_hit_rate_lo Nullable(Float64),
        expected_hit_rate_hi Nullable(Float64), mean_confidence Nullable(Float64), calibration_gap Nullable(Float64),
        retrain UInt32, priority Nullable(String), reason Nullable(String), log_partition UInt32, log_offset UInt64)
       ENGINE = ReplacingMergeTree(log_offset) PARTITION BY ${month('ts_event')} ORDER BY (symbol, ts_event, model_id)`,
    ],
  },
  {
    version: 4,
    name: 'signal-contract-and-timeframes',
    addsColumn: { statement: 0, table: 'signals', column: 'contract_underlying' },
    statements: [
      // The option contract (D52) as flat Nullable columns and the timeframe views (D58) as parallel
      // arrays (D71): plain columns a WHERE or an ARRAY JOIN reads, on 18.16 too.
      `ALTER TABLE {db}.signals ADD COLUMN contract_underlying Nullable(String), ADD COLUMN contract_expiry Nullable(Int64),
        ADD COLUMN contract_strike Nullable(Float64), ADD COLUMN contract_right Nullable(String),
        ADD COLUMN contract_premium Nullable(Float64), ADD COLUMN contract_premium_source Nullable(String),
        ADD COLUMN contract_iv Nullable(Float64), ADD COLUMN contract_chain_at Nullable(Int64),
        ADD COLUMN timeframe_intervals Array(String), ADD COLUMN timeframe_model_ids Array(String),
        ADD COLUMN timeframe_bar_ends Array(Nullable(Int64)), ADD COLUMN timeframe_p_up Array(Nullable(Float64)),
        ADD COLUMN timeframe_p_flat Array(Nullable(Float64)), ADD COLUMN timeframe_p_down Array(Nullable(Float64)),
        ADD COLUMN timeframe_weights Array(Float64), ADD COLUMN timeframe_log_odds Array(Nullable(Float64)),
        ADD COLUMN timeframe_agrees Array(UInt32)`,
    ],
  },
];

export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Versions recorded as applied, ascending. The table is created if missing. */
export async function appliedVersions(client: ClickHouseClient, database = 'default'): Promise<number[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(database)}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${qualified(database, 'tickflow_migrations')}
      (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree() ORDER BY version`,
  });
  const rs = await client.query({
    query: `SELECT DISTINCT version FROM ${qualified(database, 'tickflow_migrations')} ORDER BY version`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ version: number | string }>()).map((r) => Number(r.version));
}

async function hasColumn(client: ClickHouseClient, database: string, table: string, column: string): Promise<boolean> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM system.columns WHERE database = ${quoteString(database)} AND table = ${quoteString(table)} AND name = ${quoteString(column)}`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ n: number | string }>()).some((r) => Number(r.n) > 0);
}

/** Applies pending migrations in version order; a second run applies nothing. */
export async function migrate(client: ClickHouseClient, database = 'default'): Promise<MigrateResult> {
  const done = new Set(await appliedVersions(client, database));
  const applied: string[] = [];
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const [i, statement] of m.statements.entries()) {
      if (m.addsColumn?.statement === i && (await hasColumn(client, database, m.addsColumn.table, m.addsColumn.column))) continue;
      await client.command({ query: statement.replaceAll('{db}', identifier(database)) });
    }
    await client.command({
      query: `INSERT INTO ${qualified(database, 'tickflow_migrations')} (version, name) VALUES (${sqlInt(m.version)}, ${quoteString(m.name)})`,
    });
    applied.push(`${m.version}-${m.name}`);
    done.add(m.version);
  }
  return { applied, version: Math.max(0, ...done) };
}
