export { ClickHouseProjector, DEAD_LETTER_REASON_PREFIX, type ProjectionReport, type ProjectorOptions, type TopicStats } from './projector.ts';
export type { ProjectorSerde } from './projector-serde.ts';
export { migrate, appliedVersions, MIGRATIONS, LATEST_VERSION, type MigrateResult, type Migration } from './migrations.ts';
export {
  querySignals,
  queryBars,
  queryRuns,
  storeBacktestRun,
  backtestRunId,
  type RangeQuery,
  type RunSummary,
  type BacktestRunInput,
  type StoredRun,
} from './queries.ts';
export { openClickHouse, DEFAULT_CLICKHOUSE_URL } from './open-clickhouse.ts';
export { ClickHouseSinkError, classifyFailure, type FailureKind } from './clickhouse-sink-error.ts';
export { TABLE_COLUMNS, TOPIC_TABLES, PROJECTED_TOPICS, type TableName, type ProjectedTopic } from './tables.ts';
