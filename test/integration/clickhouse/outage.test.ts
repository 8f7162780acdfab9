import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ClickHouseProjector } from '../../../sinks/clickhouse/projector.ts';
import { querySignals } from '../../../sinks/clickhouse/queries.ts';
import { appendValues, byEventTime, bySymbol, counts, freshDatabase, makeSignal, skipReason, startClickHouse, tempLog, waitFor } from './fixtures.ts';

const server = await startClickHouse();
const skip = skipReason(server) || (!('skip' in server) && !server.controllable && 'needs a server it can stop (unset TICKFLOW_CLICKHOUSE_URL)');

describe('ClickHouse outage during a live projection', { skip }, () => {
  if ('skip' in server) return;
  after(() => server.stop());

  test('the projector stops reading while ClickHouse is down and catches up when it returns', async () => {
    const { client, database } = await freshDatabase(server.url);
    const log = await tempLog();
    const maxBufferedRows = 100;
    const projector = new ClickHouseProjector({
      log: log.log,
      serde: log.serde,
      client,
      database,
      topics: ['signals'],
      batchRows: 50,
      batchMs: 50,
      maxBufferedRows,
      retry: { initialMs: 50, maxMs: 400, factor: 2 },
    });
    const ac = new AbortController();
    const running = projector.follow(ac.signal);
    try {
      const signals = Array.from({ length: 1_200 }, (_, i) => makeSignal(i));
      await appendValues(log, 'signals', signals.slice(0, 200), bySymbol, byEventTime);
      await waitFor('the first 200 rows', async () => (await counts(client, database, 'signals')).final === 200);

      await server.pause();
      await appendValues(log, 'signals', signals.slice(200), bySymbol, byEventTime);
      await waitFor('a full buffer and a few failed retries', async () => {
        const s = projector.stats();
        return s.buffered === maxBufferedRows && s.retries >= 3;
      });
      const down = projector.stats();
      const t = down.topics['signals']!;
      assert.ok(t.read - t.inserted <= maxBufferedRows, `backpressure: read ${t.read}, inserted ${t.inserted}`);
      assert.ok(t.read < signals.length, 'the rest stays in the log until ClickHouse returns');

      await server.resume();
      await waitFor('all 1,200 rows', async () => (await counts(client, database, 'signals')).final === signals.length, 30_000);
      const byOrder = (a: { barEnd: number; symbol: string }, b: { barEnd: number; symbol: string }): number =>
        a.barEnd - b.barEnd || (a.symbol < b.symbol ? -1 : 1);
      assert.deepEqual(await querySignals(client, { database }), [...signals].sort(byOrder), 'nothing lost, nothing twice');
    } finally {
      ac.abort();
      const report = await running;
      assert.equal(report.completed, false, 'follow ends only by the abort');
      await client.close();
      await log.close();
    }
  });
});
