import { migrate } from '../../sinks/clickhouse/migrations.ts';
import { openClickHouse } from '../../sinks/clickhouse/open-clickhouse.ts';
import { ClickHouseProjector } from '../../sinks/clickhouse/projector.ts';
import { qualified } from '../../sinks/clickhouse/sql.ts';
import { TOPIC_TABLES } from '../../sinks/clickhouse/tables.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import type { ValuesOf } from '../command-spec.ts';
import { cliLogger, info, printJson } from '../output.ts';
import type { DB_MIGRATE, DB_REBUILD } from '../specs/clickhouse.ts';

/** `tickflow db migrate|rebuild`. */
export async function run(options: ValuesOf<typeof DB_MIGRATE> | ValuesOf<typeof DB_REBUILD>, sub: string): Promise<number> {
  const values = options as Partial<ValuesOf<typeof DB_REBUILD>> & ValuesOf<typeof DB_MIGRATE>;
  const { database } = values;
  const client = openClickHouse(values.clickhouse);
  try {
    if (sub === 'migrate') {
      printJson(await migrate(client, database));
      return 0;
    }
    const migrated = await migrate(client, database);
    if (migrated.applied.length > 0) info(`applied migrations ${migrated.applied.join(', ')}`);
    const embedded = await openLogFrom(logSource(values));
    const ac = new AbortController();
    const onInt = (): void => ac.abort(new Error('interrupted'));
    process.once('SIGINT', onInt);
    try {
      const projector = new ClickHouseProjector({ log: embedded.log, serde: embedded.serde, client, database, logger: cliLogger() });
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
