/**
 * Stores a backtest run: the run row (params, model, metrics), its trades and its equity curve.
 * The id is the sha256 of canonical JSON of [params, modelId, metrics] and every column comes from
 * the run itself (no wall-clock "created" time), so storing the same run again changes nothing.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { insertRows } from './insert-rows.ts';

export interface BacktestRunInput {
  params: object;
  modelId: string;
  report: { trades: object[]; equityCurve: { t: number; equity: number }[]; metrics: object };
}

export interface StoredRun {
  id: string;
  trades: number;
  equityPoints: number;
}

export function backtestRunId(run: Pick<BacktestRunInput, 'params' | 'modelId'> & { report: { metrics: object } }): string {
  return createHash('sha256').update(canonicalJson([run.params, run.modelId, run.report.metrics])).digest('hex');
}

export async function storeBacktestRun(client: ClickHouseClient, run: BacktestRunInput, options: { database?: string } = {}): Promise<StoredRun> {
  const database = options.database ?? 'default';
  if (run.modelId === '') throw new Error('storeBacktestRun: modelId is empty');
  const id = backtestRunId(run);
  const curve = run.report.equityCurve;
  for (const p of curve) {
    if (!Number.isSafeInteger(p.t) || !Number.isFinite(p.equity)) throw new Error(`storeBacktestRun: bad equity point ${JSON.stringify(p)}`);
  }
  const times = curve.map((p) => p.t);
  const trades = run.report.trades.map((trade, seq) => {
    const t = trade as Record<string, unknown>;
    return { run_id: id, seq, symbol: str(t['symbol']), entry_time: int(t['entryTime']), exit_time: int(t['exitTime']), trade: canonicalJson(trade) };
  });
  // Details first, the run row last: a run that is visible has all its rows.
  await insertRows(client, database, 'backtest_trades', trades);
  await insertRows(client, database, 'backtest_equity', curve.map((p, seq) => ({ run_id: id, seq, t: p.t, equity: p.equity })));
  await insertRows(client, database, 'backtest_runs', [
    {
      id,
      model_id: run.modelId,
      symbols: runSymbols(run),
      params: canonicalJson(run.params),
      metrics: canonicalJson(run.report.metrics),
      trades: trades.length,
      first_t: times.reduce((a, b) => Math.min(a, b), times[0] ?? 0),
      last_t: times.reduce((a, b) => Math.max(a, b), times[0] ?? 0),
    },
  ]);
  return { id, trades: trades.length, equityPoints: curve.length };
}

/** Symbols named by params.symbol / params.symbols and by the trades, sorted. */
function runSymbols(run: BacktestRunInput): string[] {
  const p = run.params as Record<string, unknown>;
  const names = new Set<string>();
  if (typeof p['symbol'] === 'string') names.add(p['symbol']);
  if (Array.isArray(p['symbols'])) for (const s of p['symbols']) if (typeof s === 'string') names.add(s);
  for (const t of run.report.trades) {
    const s = (t as Record<string, unknown>)['symbol'];
    if (typeof s === 'string') names.add(s);
  }
  return [...names].filter((s) => s !== '').sort();
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : 0);
