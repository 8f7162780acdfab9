/**
 * The queries people run, by symbol and time. Each reads with FINAL so an event stored twice
 * (a rebuild, a replay after a crash) comes back once, whether or not a merge has happened yet.
 * Time ranges are [from, to) in epoch ms on the bar close (bars and signals are stamped there).
 * Int64 columns arrive as JSON strings (output_format_json_quote_64bit_integers) and are converted
 * back to numbers; they are safe integers because the projector only writes safe integers.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Bar } from '../../schemas/bar.ts';
import type { Action, Signal, SignalContract } from '../../schemas/signal.ts';
import { qualified, quoteString, sqlInt } from './sql.ts';

export { storeBacktestRun, backtestRunId, type BacktestRunInput, type StoredRun } from './store-backtest-run.ts';

export interface RangeQuery {
  symbol?: string;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
  database?: string;
  limit?: number;
}

export interface RunSummary {
  id: string;
  modelId: string;
  symbols: string[];
  params: unknown;
  metrics: unknown;
  trades: number;
  /** First and last equity-curve times, epoch ms. */
  firstT: number;
  lastT: number;
}

type Json = Record<string, unknown>;

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function querySignals(client: ClickHouseClient, q: RangeQuery & { modelId?: string }): Promise<Signal[]> {
  const where = rangeWhere(q, 'bar_end');
  if (q.modelId !== undefined) where.push(`model_id = ${quoteString(q.modelId)}`);
  const rows = await select(client, q, 'signals', where, 'bar_end, symbol, id');
  return rows.map((r) => ({
    id: String(r['id']),
    tsEvent: Number(r['ts_event']),
    tsInit: Number(r['ts_init']),
    symbol: String(r['symbol']),
    interval: String(r['bar_interval']),
    barEnd: Number(r['bar_end']),
    pUp: Number(r['p_up']),
    pFlat: Number(r['p_flat']),
    pDown: Number(r['p_down']),
    action: r['action'] as Action,
    confidence: Number(r['confidence']),
    modelId: String(r['model_id']),
    featureSetHash: String(r['feature_set_hash']),
    inputs: (r['input_topics'] as string[]).map((topic, i) => ({
      topic,
      partition: Number((r['input_partitions'] as unknown[])[i]),
      fromOffset: Number((r['input_from_offsets'] as unknown[])[i]),
      toOffset: Number((r['input_to_offsets'] as unknown[])[i]),
    })),
    expectedReturn: nullableNumber(r['expected_return']),
    q10: nullableNumber(r['q10']),
    q50: nullableNumber(r['q50']),
    q90: nullableNumber(r['q90']),
    contributions: ((r['contribution_features'] as string[] | undefined) ?? []).map((feature, i) => ({ feature, value: Number((r['contribution_values'] as unknown[])[i]) })),
    size: nullableNumber(r['size']),
    stop: nullableNumber(r['stop']),
    target: nullableNumber(r['target']),
    expiresAt: nullableNumber(r['expires_at']),
    reason: typeof r['reason'] === 'string' ? r['reason'] : null,
    contract: contractOf(r),
    timeframes: ((r['timeframe_intervals'] as string[] | undefined) ?? []).map((interval, i) => {
      const at = (column: string): unknown => (r[column] as unknown[])[i];
      return {
        interval,
        modelId: String(at('timeframe_model_ids')),
        barEnd: nullableNumber(at('timeframe_bar_ends')),
        pUp: nullableNumber(at('timeframe_p_up')),
        pFlat: nullableNumber(at('timeframe_p_flat')),
        pDown: nullableNumber(at('timeframe_p_down')),
        weight: Number(at('timeframe_weights')),
        logOdds: nullableNumber(at('timeframe_log_odds')),
        agrees: Number(at('timeframe_agrees')) === 1,
      };
    }),
  }));
}

/** The option contract from its flat columns: null when the signal named none (contract_underlying null). */
function contractOf(r: Json): SignalContract | null {
  if (typeof r['contract_underlying'] !== 'string') return null;
  return {
    underlying: r['contract_underlying'],
    expiry: Number(r['contract_expiry']),
    strike: Number(r['contract_strike']),
    right: r['contract_right'] as SignalContract['right'],
    premium: Number(r['contract_premium']),
    premiumSource: r['contract_premium_source'] as SignalContract['premiumSource'],
    iv: nullableNumber(r['contract_iv']),
    chainAt: Number(r['contract_chain_at']),
  };
}

export async function queryBars(client: ClickHouseClient, q: RangeQuery & { interval?: string }): Promise<Bar[]> {
  const where = rangeWhere(q, 'bar_end');
  if (q.interval !== undefined) where.push(`bar_interval = ${quoteString(q.interval)}`);
  const rows = await select(client, q, 'bars', where, 'bar_end, symbol, bar_interval');
  return rows.map((r) => ({
    tsEvent: Number(r['ts_event']),
    tsInit: Number(r['ts_init']),
    symbol: String(r['symbol']),
    interval: String(r['bar_interval']),
    start: Number(r['bar_start']),
    end: Number(r['bar_end']),
    open: Number(r['open']),
    high: Number(r['high']),
    low: Number(r['low']),
    close: Number(r['close']),
    volume: Number(r['volume']),
    buyVolume: r['buy_volume'] === null ? null : Number(r['buy_volume']),
    vwap: Number(r['vwap']),
    trades: Number(r['trades']),
  }));
}

/** Runs whose equity curve overlaps [from, to), that traded or named `symbol`, of `modelId`. */
export async function queryRuns(client: ClickHouseClient, q: RangeQuery & { modelId?: string }): Promise<RunSummary[]> {
  const where: string[] = [];
  if (q.symbol !== undefined) where.push(`has(symbols, ${quoteString(q.symbol)})`);
  if (q.modelId !== undefined) where.push(`model_id = ${quoteString(q.modelId)}`);
  if (q.from !== undefined) where.push(`last_t >= ${sqlInt(q.from)}`);
  if (q.to !== undefined) where.push(`first_t < ${sqlInt(q.to)}`);
  const rows = await select(client, q, 'backtest_runs', where, 'first_t, model_id, id');
  return rows.map((r) => ({
    id: String(r['id']),
    modelId: String(r['model_id']),
    symbols: r['symbols'] as string[],
    params: JSON.parse(String(r['params'])) as unknown,
    metrics: JSON.parse(String(r['metrics'])) as unknown,
    trades: Number(r['trades']),
    firstT: Number(r['first_t']),
    lastT: Number(r['last_t']),
  }));
}

function rangeWhere(q: RangeQuery, timeColumn: string): string[] {
  const where: string[] = [];
  if (q.symbol !== undefined) where.push(`symbol = ${quoteString(q.symbol)}`);
  if (q.from !== undefined) where.push(`${timeColumn} >= ${sqlInt(q.from)}`);
  if (q.to !== undefined) where.push(`${timeColumn} < ${sqlInt(q.to)}`);
  return where;
}

async function select(client: ClickHouseClient, q: RangeQuery, table: string, where: string[], orderBy: string): Promise<Json[]> {
  const limit = q.limit === undefined ? '' : ` LIMIT ${sqlInt(q.limit)}`;
  const rs = await client.query({
    query: `SELECT * FROM ${qualified(q.database ?? 'default', table)} FINAL
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${orderBy}${limit}`,
    format: 'JSONEachRow',
  });
  return rs.json<Json>();
}
