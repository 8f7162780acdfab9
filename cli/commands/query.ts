import { DEFAULT_CLICKHOUSE_URL, openClickHouse } from '../../sinks/clickhouse/open-clickhouse.ts';
import { queryBars, queryRuns, querySignals, type RangeQuery } from '../../sinks/clickhouse/queries.ts';
import { parse, toNumber } from '../args.ts';
import { UsageError } from '../output.ts';

const USAGE = `usage: tickflow query signals|bars|runs [--symbol S] [--from <ISO or epoch ms>] [--to <ISO or epoch ms>]
       [--model <id>] [--interval <5m>] [--limit N] [--clickhouse <url>] [--database <name>] [--json]`;

const OPTIONS = {
  symbol: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  model: { type: 'string' },
  interval: { type: 'string' },
  limit: { type: 'string' },
  clickhouse: { type: 'string' },
  database: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Table = { header: string[]; rows: string[][] };

/** Prints a text table on stdout, or one JSON array with --json. Time ranges are [from, to). */
export async function run(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind !== 'signals' && kind !== 'bars' && kind !== 'runs') throw new UsageError(USAGE);
  const { values, positionals } = parse(rest, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n${USAGE}`);
  const q: RangeQuery = { database: values.database ?? 'default' };
  if (values.symbol !== undefined) q.symbol = values.symbol;
  if (values.from !== undefined) q.from = parseTime(values.from, 'from');
  if (values.to !== undefined) q.to = parseTime(values.to, 'to');
  if (values.limit !== undefined) q.limit = toNumber(values.limit, 'limit', 0);
  const client = openClickHouse(values.clickhouse ?? DEFAULT_CLICKHOUSE_URL);
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
        rows: bars.map((b) => [iso(b.end), b.symbol, b.interval, String(b.open), String(b.high), String(b.low), String(b.close), String(b.volume), String(b.trades)]),
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

/** Epoch milliseconds ("1700000000000") or an ISO-8601 date/time ("2023-11-14T22:13:20Z"). */
export function parseTime(value: string, flag: string): number {
  if (/^-?\d+$/.test(value)) return Number(value);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isSafeInteger(ms)) throw new UsageError(`--${flag} must be an ISO date/time or epoch milliseconds, got ${JSON.stringify(value)}`);
  return ms;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const fix = (x: number): string => x.toFixed(4);

function formatTable({ header, rows }: Table): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n${rows.length === 0 ? '(no rows)\n' : ''}`;
}
