import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { nodeEntry, type CliResult } from '../../helpers/cli.ts';
import { appendValues, byEventTime, bySymbol, makeSignal, skipReason, startClickHouse, tempLog, uniqueName } from './fixtures.ts';

const server = await startClickHouse();
const MAIN = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));

async function tickflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...nodeEntry(MAIN), ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('tickflow db and query commands', { skip: skipReason(server) }, () => {
  if ('skip' in server) return;
  const { url } = server;
  const BAD_QUERY = ['query', 'signals', '--from', 'yesterday', '--clickhouse', url];
  let badInBatch: CliResult | undefined;
  after(() => server.stop());

  test('migrate, rebuild twice, then query signals as JSON and as a table', async () => {
    const database = uniqueName('cli');
    const log = await tempLog();
    const signals = Array.from({ length: 12 }, (_, i) => makeSignal(i));
    await appendValues(log, 'signals', signals, bySymbol, byEventTime);
    await log.closeHandles(); // the CLI opens the directory itself
    const btc = signals.filter((s) => s.symbol === 'BTCUSD');
    const from = new Date(btc[1]!.barEnd).toISOString();
    const to = String(btc[3]!.barEnd);
    try {
      // The commands in order in one process (test/helpers/cli-batch.ts: a process start is about
      // 0.6 CPU s); the usage error again as a real process below.
      const migrateArgs = ['db', 'migrate', '--clickhouse', url, '--database', database];
      const rebuildArgs = ['db', 'rebuild', '--log', log.dir, '--clickhouse', url, '--database', database];
      const [migrate, migrateAgain, ...rest] = await runCliBatch([
        migrateArgs,
        migrateArgs,
        rebuildArgs,
        rebuildArgs,
        ['query', 'signals', '--symbol', 'BTCUSD', '--from', from, '--to', to, '--clickhouse', url, '--database', database, '--json'],
        ['query', 'signals', '--symbol', 'BTCUSD', '--clickhouse', url, '--database', database],
        BAD_QUERY,
      ]);
      const [rebuild1, rebuild2, json, text, bad] = rest;
      assert.equal(migrate!.code, 0, migrate!.stderr);
      const migrated = JSON.parse(migrate!.stdout) as { applied: string[]; version: number };
      assert.ok(migrated.applied.length > 0 && migrated.version > 0);
      assert.deepEqual(JSON.parse(migrateAgain!.stdout), {
        applied: [],
        version: migrated.version,
      });

      for (const [i, rebuild] of [rebuild1!, rebuild2!].entries()) {
        assert.equal(rebuild.code, 0, rebuild.stderr);
        const out = JSON.parse(rebuild.stdout) as { rows: Record<string, number>; topics: Record<string, { read: number }> };
        assert.equal(out.rows['signals'], signals.length, `rebuild ${i + 1}: one row per signal`);
        assert.equal(out.topics['signals']?.read, signals.length, 'a rebuild reads the whole topic');
      }

      assert.equal(json!.code, 0, json!.stderr);
      assert.deepEqual(JSON.parse(json!.stdout), btc.slice(1, 3));

      const lines = text!.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^bar_end\s+symbol\s+interval\s+action/);
      assert.equal(lines.length, 1 + btc.length);

      assert.equal(bad!.code, 2, 'a malformed time is a usage error');
      assert.match(bad!.stderr, /--from "yesterday": must be an ISO date\/time or epoch milliseconds/);
      badInBatch = bad!;
    } finally {
      await log.close();
    }
  });

  test('the process edge: the usage error as a real process answers as the batch did', async (t) => {
    if (badInBatch === undefined) return t.skip('the batch test did not get this far');
    const r = await tickflow(...BAD_QUERY);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: badInBatch.code, stdout: badInBatch.stdout, stderr: badInBatch.stderr });
  });
});
