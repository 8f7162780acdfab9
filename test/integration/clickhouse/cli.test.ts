import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { appendValues, byEventTime, bySymbol, makeSignal, skipReason, startClickHouse, tempLog, uniqueName } from './fixtures.ts';

const server = await startClickHouse();
const MAIN = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));

async function tickflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', MAIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('tickflow db and query commands', { skip: skipReason(server) }, () => {
  if ('skip' in server) return;
  const { url } = server;
  after(() => server.stop());

  test('migrate, rebuild twice, then query signals as JSON and as a table', async () => {
    const database = uniqueName('cli');
    const log = await tempLog();
    const signals = Array.from({ length: 12 }, (_, i) => makeSignal(i));
    await appendValues(log, 'signals', signals, bySymbol, byEventTime);
    await log.closeHandles(); // the CLI opens the directory itself
    try {
      const migrate = await tickflow('db', 'migrate', '--clickhouse', url, '--database', database);
      assert.equal(migrate.code, 0, migrate.stderr);
      const migrated = JSON.parse(migrate.stdout) as { applied: string[]; version: number };
      assert.ok(migrated.applied.length > 0 && migrated.version > 0);
      assert.deepEqual(JSON.parse((await tickflow('db', 'migrate', '--clickhouse', url, '--database', database)).stdout), {
        applied: [],
        version: migrated.version,
      });

      for (let i = 0; i < 2; i++) {
        const rebuild = await tickflow('db', 'rebuild', '--log', log.dir, '--clickhouse', url, '--database', database);
        assert.equal(rebuild.code, 0, rebuild.stderr);
        const out = JSON.parse(rebuild.stdout) as { rows: Record<string, number>; topics: Record<string, { read: number }> };
        assert.equal(out.rows['signals'], signals.length, `rebuild ${i + 1}: one row per signal`);
        assert.equal(out.topics['signals']?.read, signals.length, 'a rebuild reads the whole topic');
      }

      const btc = signals.filter((s) => s.symbol === 'BTCUSD');
      const from = new Date(btc[1]!.barEnd).toISOString();
      const to = String(btc[3]!.barEnd);
      const json = await tickflow('query', 'signals', '--symbol', 'BTCUSD', '--from', from, '--to', to, '--clickhouse', url, '--database', database, '--json');
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), btc.slice(1, 3));

      const text = await tickflow('query', 'signals', '--symbol', 'BTCUSD', '--clickhouse', url, '--database', database);
      const lines = text.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^bar_end\s+symbol\s+interval\s+action/);
      assert.equal(lines.length, 1 + btc.length);

      const bad = await tickflow('query', 'signals', '--from', 'yesterday', '--clickhouse', url);
      assert.equal(bad.code, 2, 'a malformed time is a usage error');
      assert.match(bad.stderr, /--from "yesterday": must be an ISO date\/time or epoch milliseconds/);
    } finally {
      await log.close();
    }
  });
});
