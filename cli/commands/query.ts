import { openClickHouse } from '../../sinks/clickhouse/open-clickhouse.ts';
import { queryBars, queryRuns, querySignals, type RangeQuery } from '../../sinks/clickhouse/queries.ts';
import type { ValuesOf } from '../command-spec.ts';
import { formatQuantity } from '../output.ts';
import type { QUERY } from '../specs/clickhouse.ts';

/** What the three query specs parse to (signals and runs take --model, bars --interval). */
type Values = { symbol?: string | undefined; from?: number | undefined; to?: number | undefined; model?: string | undefined; interval?: string | undefined; limit?: number | undefined; clickhouse: string; database: string; json: boolean };

type Table = { header: string[]; rows: string[][] };

/** Prints a text table on stdout, or one JSON array with --json. Time ranges are [from, to). */
export async function run(options: ValuesOf<(typeof QUERY)[keyof typeof QUERY]>, kind: string): Promise<number> {
  const values = options as Values;
  const q: RangeQuery = { database: values.database };
  if (values.symbol !== undefined) q.symbol = values.symbol;
  if (values.from !== undefined) q.from = values.from;
  if (values.to !== undefined) q.to = values.to;
  if (values.limit !== undefined) q.limit = values.limit;
  const client = openClickHouse(values.clickhouse);
  try {
    let result: object[];
    let table: Table;
    if (kind === 'signals') {
      const signals = await querySignals(client, { ...q, ...(values.model === undefined ? {} : { modelId: values.model }) });
      result = signals;
      table = {
        header: ['bar_end', 'symbol', 'interval', 'action', 'p_up', 'p_flat', 'p_down', 'confidence', 'model', 'id'],
        rows: signals.map((s) => [iso(s.barEnd), s.symbol, s.interval, s.action, fix(s.pUp), fix(s.pFlat), fix(s.pDown), fix(s.confidence), s.modelId, s.id]),
      };
    } else if (kind === 'bars') {
      const bars = await queryBars(client, { ...q, ...(values.interval === undefined ? {} : { interval: values.interval }) });
      result = bars;
      table = {
        header: ['end', 'symbol', 'interval', 'open', 'high', 'low', 'close', 'volume', 'trades'],
        rows: bars.map((b) => [iso(b.end), b.symbol, b.interval, formatQuantity(b.open), formatQuantity(b.high), formatQuantity(b.low), formatQuantity(b.close), formatQuantity(b.volume), String(b.trades)]),
      };
    } else {
      const runs = await queryRuns(client, { ...q, ...(values.model === undefined ? {} : { modelId: values.model }) });
      result = runs;
      table = {
        header: ['id', 'model', 'symbols', 'trades', 'first', 'last', 'metrics'],
        rows: runs.map((r) => [r.id.slice(0, 12), r.modelId, r.symbols.join(','), String(r.trades), iso(r.firstT), iso(r.lastT), JSON.stringify(r.metrics)]),
      };
    }
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatTable(table));
    return 0;
  } finally {
    await client.close();
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
const fix = (x: number): string => x.toFixed(4);

function formatTable({ header, rows }: Table): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n${rows.length === 0 ? '(no rows)\n' : ''}`;
}
