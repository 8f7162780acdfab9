import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseSinkError } from './clickhouse-sink-error.ts';
import { quoteString } from './sql.ts';
import { TABLE_COLUMNS, type TableName } from './tables.ts';

/**
 * Refuses to write unless every column the writers send exists with the expected type: RowBinary
 * is positional, so a table from an older migration must be an error, not garbage.
 */
export async function assertSchema(client: ClickHouseClient, database: string, tables: readonly TableName[]): Promise<void> {
  const rs = await client.query({
    query: `SELECT table, name, type FROM system.columns
      WHERE database = ${quoteString(database)} AND table IN (${tables.map(quoteString).join(', ')})`,
    format: 'JSONEachRow',
  });
  const actual = new Map((await rs.json<{ table: string; name: string; type: string }>()).map((c) => [`${c.table}.${c.name}`, c.type]));
  const problems: string[] = [];
  for (const table of tables) {
    for (const c of TABLE_COLUMNS[table]) {
      const type = actual.get(`${table}.${c.name}`);
      if (type === undefined) problems.push(`${table}.${c.name} is missing`);
      else if (type !== c.type) problems.push(`${table}.${c.name} is ${type}, expected ${c.type}`);
    }
  }
  if (problems.length > 0) {
    throw new ClickHouseSinkError(
      `database ${database} does not have the expected schema (run \`tickflow db migrate\`): ${problems.slice(0, 5).join('; ')}`,
      { retriable: false },
    );
  }
}
