import { existsSync } from 'node:fs';
import { migrate } from '../../sinks/clickhouse/migrations.ts';
import { DEFAULT_CLICKHOUSE_URL, openClickHouse } from '../../sinks/clickhouse/open-clickhouse.ts';
import { ClickHouseProjector } from '../../sinks/clickhouse/projector.ts';
import { qualified } from '../../sinks/clickhouse/sql.ts';
import { TOPIC_TABLES } from '../../sinks/clickhouse/tables.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { databaseName, parse, requireString } from '../args.ts';
import { info, printJson, UsageError } from '../output.ts';

const USAGE = `usage: tickflow db migrate [--clickhouse <url>] [--database <name>]
       tickflow db rebuild --log <dir>|--broker <b> [--clickhouse <url>] [--database <name>]`;

const OPTIONS = { clickhouse: { type: 'string' }, database: { type: 'string' }, log: { type: 'string' }, broker: { type: 'string' }, registry: { type: 'string' } } as const;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'migrate' && sub !== 'rebuild') throw new UsageError(USAGE);
  const { values, positionals } = parse(rest, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n${USAGE}`);
  const database = databaseName(values.database ?? 'default');
  const client = openClickHouse(values.clickhouse ?? DEFAULT_CLICKHOUSE_URL);
  try {
    if (sub === 'migrate') {
      printJson(await migrate(client, database));
      return 0;
    }
    if (values.broker === undefined) {
      const logDir = requireString(values.log, 'log');
      if (!existsSync(logDir)) throw new UsageError(`--log ${logDir} does not exist`);
    }
    const migrated = await migrate(client, database);
    if (migrated.applied.length > 0) info(`applied migrations ${migrated.applied.join(', ')}`);
    const embedded = await openLogFrom(logSource(values));
    const ac = new AbortController();
    const onInt = (): void => ac.abort(new Error('interrupted'));
    process.once('SIGINT', onInt);
    try {
      const projector = new ClickHouseProjector({ log: embedded.log, serde: embedded.serde, client, database, onLog: info });
      // Re-projects the whole log; rows collapse by id, so this is safe next to a live projector.
      const report = await projector.catchUp({ from: 'earliest', signal: ac.signal });
      if (!report.completed) {
        info('rebuild interrupted; committed offsets are kept, run it again to finish');
        return 130;
      }
      const rows: Record<string, number> = {};
      for (const table of Object.values(TOPIC_TABLES)) {
        const rs = await client.query({ query: `SELECT count() AS n FROM ${qualified(database, table)} FINAL`, format: 'JSONEachRow' });
        rows[table] = Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
      }
      printJson({ rows, topics: report.topics });
      return 0;
    } finally {
      process.off('SIGINT', onInt);
      await embedded.close();
    }
  } finally {
    await client.close();
  }
}
