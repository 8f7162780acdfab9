import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openLog } from '../../../cli/log-access.ts';
import type { Signal } from '../../../schemas/index.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { runCli, tempDir, type CliResult } from '../../helpers/cli.ts';
import { skipReason, startClickHouse, uniqueName } from './fixtures.ts';

const server = await startClickHouse();

/**
 * `start --clickhouse`: the live run's signals reach ClickHouse, exactly once each, and a query of
 * signals equals the signals in the log; `db rebuild` afterwards changes nothing.
 */
describe('start --clickhouse', { skip: skipReason(server) }, () => {
  if ('skip' in server) return;
  const { url } = server;
  const tmp = tempDir('tickflow-chlive-');
  after(async () => {
    tmp.cleanup();
    await server.stop();
  });

  test('live signals projected into ClickHouse equal the log; a rebuild leaves one row per signal', async () => {
    const database = uniqueName('live');
    const log = join(tmp.dir, 'log');
    // 0.4 days of history (the smallest whose dataset leaves the model's training a validation
    // split; it was a day): the start trains its model on it, and the projection does not depend
    // on how many signals there are.
    const s = await runCli(['start', '--log', log, '--model', join(tmp.dir, 'model'), '--history-days', '0.4', '--stop-after', '2h', '--speed', '3600', '--port', '0', '--no-ws', '--clickhouse', url, '--database', database]);
    assert.equal(s.code, 0, s.stderr);
    const access = await openLog(log);
    const inLog: Signal[] = [];
    try {
      const parts = await access.log.partitions('signals');
      for (let p = 0; p < parts; p++) for await (const b of access.log.read('signals', p)) for (const r of b) inLog.push(access.decode('signals', r.value) as Signal);
    } finally {
      await access.close();
    }
    assert.equal(inLog.length, s.json.signals);
    assert.ok(inLog.length > 0, 'the live run made signals');
    // The query and the rebuild in one process (test/helpers/cli-batch.ts: a process start is about 0.6 CPU s).
    const [q, r] = (await runCliBatch([
      ['query', 'signals', '--clickhouse', url, '--database', database, '--json', '--limit', '100000'],
      ['db', 'rebuild', '--log', log, '--clickhouse', url, '--database', database],
    ])) as [CliResult, CliResult];
    assert.equal(q.code, 0, q.stderr);
    const rows = JSON.parse(q.stdout) as Signal[];
    const key = (x: Signal): string => `${x.id}|${x.barEnd}|${x.action}|${x.pUp}|${x.pFlat}|${x.pDown}`;
    assert.deepEqual(rows.map(key).sort(), inLog.map(key).sort());
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.json.rows as Record<string, number>).signals, inLog.length);
  });
});
