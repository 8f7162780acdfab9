import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { LATEST_VERSION, MIGRATIONS, migrate } from '../../../sinks/clickhouse/migrations.ts';
import { openClickHouse } from '../../../sinks/clickhouse/open-clickhouse.ts';
import { quoteString } from '../../../sinks/clickhouse/sql.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { TABLE_COLUMNS } from '../../../sinks/clickhouse/tables.ts';
import { skipReason, startClickHouse, uniqueName } from './fixtures.ts';

const server = await startClickHouse();

describe('ClickHouse migrations', { skip: skipReason(server) }, () => {
  if ('skip' in server) return;
  const client = openClickHouse(server.url);
  after(async () => {
    await client.close();
    await server.stop();
  });

  test('the first run applies every migration in order, the second applies none', async () => {
    const database = uniqueName('mig_twice');
    const first = await migrate(client, database);
    assert.deepEqual(first.applied, MIGRATIONS.map((m) => `${m.version}-${m.name}`));
    assert.equal(first.version, LATEST_VERSION);
    const second = await migrate(client, database);
    assert.deepEqual(second, { applied: [], version: LATEST_VERSION });
    const rs = await client.query({ query: `SELECT version, count() AS n FROM ${database}.tickflow_migrations GROUP BY version ORDER BY version`, format: 'JSONEachRow' });
    const rows = (await rs.json<{ version: number; n: string }>()).map((r) => [Number(r.version), Number(r.n)]);
    assert.deepEqual(rows, MIGRATIONS.map((m) => [m.version, 1]), 'each version recorded exactly once');
  });

  test('the migrated tables have exactly the columns and types the writers encode', async () => {
    const database = uniqueName('mig_columns');
    await migrate(client, database);
    const rs = await client.query({
      query: `SELECT table, name, type FROM system.columns WHERE database = ${quoteString(database)} AND table != 'tickflow_migrations'`,
      format: 'JSONEachRow',
    });
    const actual: Record<string, Record<string, string>> = {};
    for (const c of await rs.json<{ table: string; name: string; type: string }>()) (actual[c.table] ??= {})[c.name] = c.type;
    const expected: Record<string, Record<string, string>> = {};
    for (const [table, cols] of Object.entries(TABLE_COLUMNS)) expected[table] = Object.fromEntries(cols.map((c) => [c.name, c.type]));
    assert.deepEqual(actual, expected);
  });

  test('a database missing a migration gets only that one', async () => {
    const database = uniqueName('mig_partial');
    await client.command({ query: `CREATE DATABASE ${database}` });
    await client.command({ query: `CREATE TABLE ${database}.tickflow_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree() ORDER BY version` });
    const v1 = MIGRATIONS[0]!;
    for (const s of v1.statements) await client.command({ query: s.replaceAll('{db}', database) });
    await client.command({ query: `INSERT INTO ${database}.tickflow_migrations (version, name) VALUES (${v1.version}, ${quoteString(v1.name)})` });
    const result = await migrate(client, database);
    assert.deepEqual(result.applied, MIGRATIONS.slice(1).map((m) => `${m.version}-${m.name}`));
  });

  test('a signals table at version 3 with rows gains the contract and timeframe columns; old rows read null and empty', async () => {
    const database = uniqueName('mig_v3');
    await client.command({ query: `CREATE DATABASE ${database}` });
    await client.command({ query: `CREATE TABLE ${database}.tickflow_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree() ORDER BY version` });
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
      for (const st of m.statements) await client.command({ query: st.replaceAll('{db}', database) });
      await client.command({ query: `INSERT INTO ${database}.tickflow_migrations (version, name) VALUES (${m.version}, ${quoteString(m.name)})` });
    }
    await client.command({ query: `INSERT INTO ${database}.signals (id, symbol, bar_end, action, log_offset) VALUES ('old', 'BTC', 1, 'BUY', 7)` });
    const result = await migrate(client, database);
    assert.deepEqual(result.applied, ['4-signal-contract-and-timeframes']);
    const rs = await client.query({ query: `SELECT id, contract_underlying, contract_strike, timeframe_intervals, timeframe_p_up FROM ${database}.signals`, format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ id: 'old', contract_underlying: null, contract_strike: null, timeframe_intervals: [], timeframe_p_up: [] }]);
  });

  test('a crash after a migration ALTERed a table but before its record: running again repairs it (18.16 has no ADD COLUMN IF NOT EXISTS)', async () => {
    const database = uniqueName('mig_crash');
    await migrate(client, database);
    const adding = MIGRATIONS.filter((m) => m.addsColumn !== undefined);
    assert.ok(adding.length >= 2, 'migrations 3 and 4 add columns');
    for (const m of adding) {
      // As if the process died right after the ALTER: the columns exist, the record does not.
      await client.command({ query: `ALTER TABLE ${database}.tickflow_migrations DELETE WHERE version = ${m.version}` });
      await waitFor('the migration record to be deleted (a mutation)', async () => {
        const rs = await client.query({ query: `SELECT count() AS n FROM ${database}.tickflow_migrations WHERE version = ${m.version}`, format: 'JSONEachRow' });
        return (await rs.json<{ n: string | number }>()).every((r) => Number(r.n) === 0);
      });
      const again = await migrate(client, database);
      assert.deepEqual(again.applied, [`${m.version}-${m.name}`]);
    }
  });
});
