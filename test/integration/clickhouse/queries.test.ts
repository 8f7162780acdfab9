import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { ClickHouseProjector } from '../../../sinks/clickhouse/projector.ts';
import { backtestRunId, queryBars, queryRuns, storeBacktestRun } from '../../../sinks/clickhouse/queries.ts';
import { appendValues, byEventTime, bySymbol, counts, freshDatabase, makeBar, skipReason, startClickHouse, tempLog } from './fixtures.ts';

const server = await startClickHouse();

// Keys already in sorted order at every level, so JSON.stringify is the canonical form.
const params = { feeBps: 5, horizonBars: 6, slippageBps: 2, symbols: ['BTCUSD', 'ETHUSD'] };
const metrics = { maxDrawdown: 0.0123456789, sharpe: 1.2345678901234567, totalReturn: 0.1 + 0.2, trades: 2 };
const run = {
  params,
  modelId: 'mlp-7',
  report: {
    trades: [
      { symbol: 'BTCUSD', side: 'LONG', entryTime: 1_700_000_000_000, exitTime: 1_700_000_300_000, netReturn: 0.011 },
      { symbol: 'SOLUSD', side: 'SHORT', entryTime: 1_700_000_600_000, exitTime: 1_700_000_900_000, netReturn: -0.002 },
    ],
    // The last two equities are doubles ClickHouse 18.16's text parser reads one ulp off (measured
    // with JSONEachRow and VALUES inserts); RowBinary must store them exactly.
    equityCurve: Array.from({ length: 50 }, (_, i) => ({
      t: 1_700_000_000_000 + i * 300_000,
      equity: i === 48 ? -1.1278581825013513e-11 : i === 49 ? -2.4841234731357733e-9 : 1 + Math.sin(i) / 97,
    })),
    metrics,
  },
};

describe('ClickHouse queries and the backtest store', { skip: skipReason(server) }, () => {
  if ('skip' in server) return;
  const { url } = server;
  after(() => server.stop());

  test('a run id is the sha256 of canonical [params, modelId, metrics]; storing twice keeps one run', async () => {
    const { client, database } = await freshDatabase(url);
    try {
      const expectedId = createHash('sha256').update(JSON.stringify([params, run.modelId, metrics])).digest('hex');
      assert.equal(backtestRunId(run), expectedId);
      assert.notEqual(backtestRunId({ ...run, params: { ...params, feeBps: 6 } }), expectedId);
      const a = await storeBacktestRun(client, run, { database });
      const b = await storeBacktestRun(client, run, { database });
      assert.deepEqual(a, { id: expectedId, trades: 2, equityPoints: 50 });
      assert.deepEqual(b, a);
      assert.equal((await counts(client, database, 'backtest_runs')).final, 1);
      assert.equal((await counts(client, database, 'backtest_trades')).final, 2);
      assert.equal((await counts(client, database, 'backtest_equity')).final, 50);

      const rs = await client.query({ query: `SELECT t, equity FROM ${database}.backtest_equity FINAL ORDER BY seq`, format: 'JSONEachRow' });
      const curve = (await rs.json<{ t: string; equity: number }>()).map((p) => ({ t: Number(p.t), equity: p.equity }));
      assert.deepEqual(curve, run.report.equityCurve, 'equity doubles stored exactly');
    } finally {
      await client.close();
    }
  });

  test('queryRuns filters by symbol (params or trades), model and overlapping time', async () => {
    const { client, database } = await freshDatabase(url);
    try {
      const other = { ...run, modelId: 'gbm-1', params: { ...params, symbols: ['XRPUSD'] }, report: { ...run.report, trades: [] } };
      await storeBacktestRun(client, run, { database });
      await storeBacktestRun(client, other, { database });
      const ids = async (q: Parameters<typeof queryRuns>[1]): Promise<string[]> => (await queryRuns(client, { database, ...q })).map((r) => r.modelId);
      assert.deepEqual((await ids({})).sort(), ['gbm-1', 'mlp-7']);
      assert.deepEqual(await ids({ symbol: 'SOLUSD' }), ['mlp-7'], 'SOLUSD only appears in a trade');
      assert.deepEqual(await ids({ symbol: 'XRPUSD' }), ['gbm-1']);
      assert.deepEqual(await ids({ modelId: 'gbm-1' }), ['gbm-1']);
      const last = run.report.equityCurve.at(-1)!.t;
      assert.equal((await ids({ from: last })).length, 2, 'a run overlaps [from, to) when its last point is >= from');
      assert.equal((await ids({ from: last + 1 })).length, 0);
      assert.equal((await ids({ to: run.report.equityCurve[0]!.t })).length, 0, 'to is exclusive');
      const [stored] = await queryRuns(client, { database, modelId: 'mlp-7' });
      assert.deepEqual(stored?.params, params);
      assert.deepEqual(stored?.metrics, metrics);
      assert.deepEqual(stored?.symbols, ['BTCUSD', 'ETHUSD', 'SOLUSD']);
    } finally {
      await client.close();
    }
  });

  test('queryBars returns the projected bars of a symbol and interval in [from, to)', async () => {
    const { client, database } = await freshDatabase(url);
    const log = await tempLog();
    try {
      const bars = Array.from({ length: 30 }, (_, i) => makeBar(i));
      await appendValues(log, 'bars', bars, bySymbol, byEventTime);
      await new ClickHouseProjector({ log: log.log, serde: log.serde, client, database }).catchUp();
      const btc = bars.filter((b) => b.symbol === 'BTCUSD');
      const from = btc[2]!.end;
      const to = btc[6]!.end;
      const got = await queryBars(client, { database, symbol: 'BTCUSD', interval: '5m', from, to });
      assert.deepEqual(got, btc.slice(2, 6));
      assert.ok(got.some((b) => b.buyVolume === null) && got.some((b) => b.buyVolume !== null), 'both null and set buyVolume covered');
      assert.deepEqual(await queryBars(client, { database, symbol: 'BTCUSD', interval: '1m' }), []);
    } finally {
      await client.close();
      await log.close();
    }
  });
});
