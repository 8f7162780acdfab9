import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import type { DeadLetter } from '../../../schemas/dead-letter.ts';
import type { Signal } from '../../../schemas/signal.ts';
import { OffsetStore } from '../../../sinks/clickhouse/offset-store.ts';
import { ClickHouseProjector, DEAD_LETTER_REASON_PREFIX } from '../../../sinks/clickhouse/projector.ts';
import { querySignals } from '../../../sinks/clickhouse/queries.ts';
import type { EmbeddedLog } from '../../../storage/log/open-log.ts';
import {
  appendValues,
  byEventTime,
  bySymbol,
  counts,
  freshDatabase,
  makeBar,
  makeFeatures,
  makeLateEvent,
  makeSignal,
  skipReason,
  startClickHouse,
  tempLog,
} from './fixtures.ts';

const server = await startClickHouse();

async function logSignals(log: EmbeddedLog): Promise<Signal[]> {
  const out: Signal[] = [];
  for (let p = 0; p < (await log.log.partitions('signals')); p++) {
    for await (const batch of log.log.read('signals', p)) for (const r of batch) out.push(log.serde.decodeAs<Signal>('signals', r.value));
  }
  // avsc decodes into record classes; deepStrictEqual compares prototypes. JSON keeps every double.
  return JSON.parse(JSON.stringify(out)) as Signal[];
}

async function deadLetters(log: EmbeddedLog): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for await (const batch of log.log.read('dead-letters', 0)) for (const r of batch) out.push(log.serde.decodeAs<DeadLetter>('dead-letters', r.value));
  return out;
}

const bySignalOrder = (a: Signal, b: Signal): number => a.barEnd - b.barEnd || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);

describe('ClickHouse projector', { skip: skipReason(server) }, () => {
  if ('skip' in server) return;
  const { url } = server;
  after(() => server.stop());

  async function setup(): Promise<{ client: ClickHouseClient; database: string; log: EmbeddedLog & { dir: string }; close: () => Promise<void> }> {
    const { client, database } = await freshDatabase(url);
    const log = await tempLog();
    return { client, database, log, close: async () => void (await Promise.all([client.close(), log.close()])) };
  }

  test('projects every derived topic; a rebuild re-inserts and still leaves one row per event', async () => {
    const { client, database, log, close } = await setup();
    try {
      const n = 30;
      const ids = Array.from({ length: n }, (_, i) => i);
      await appendValues(log, 'bars', ids.map((i) => makeBar(i)), bySymbol, byEventTime);
      await appendValues(log, 'features', ids.map(makeFeatures), bySymbol, byEventTime);
      await appendValues(log, 'signals', ids.map((i) => makeSignal(i)), bySymbol, byEventTime);
      await appendValues(log, 'late-events', ids.slice(0, 10).map(makeLateEvent), bySymbol, byEventTime);
      const projector = new ClickHouseProjector({ log: log.log, serde: log.serde, client, database, batchRows: 7 });

      const first = await projector.catchUp();
      assert.equal(first.completed, true);
      for (const [topic, table, expected] of [['bars', 'bars', n], ['features', 'features', n], ['signals', 'signals', n], ['late-events', 'late_events', 10]] as const) {
        assert.equal(first.topics[topic]?.read, expected, `${topic} read`);
        assert.deepEqual(await counts(client, database, table), { raw: expected, final: expected }, table);
      }
      const again = await projector.catchUp();
      assert.equal(again.topics['signals']?.read, 0, 'committed offsets: nothing is read twice');

      const rebuild = await projector.catchUp({ from: 'earliest' });
      assert.equal(rebuild.topics['signals']?.inserted, n, 'the rebuild inserted every row again');
      assert.equal((await counts(client, database, 'signals')).final, n, 'one row per event after the rebuild');
      assert.equal((await counts(client, database, 'bars')).final, n);
      assert.equal((await counts(client, database, 'features')).final, n);
    } finally {
      await close();
    }
  });

  test('a query of signals equals the signals in the log, bit for bit', async () => {
    const { client, database, log, close } = await setup();
    try {
      const signals = Array.from({ length: 90 }, (_, i) => makeSignal(i));
      await appendValues(log, 'signals', signals, bySymbol, byEventTime);
      await new ClickHouseProjector({ log: log.log, serde: log.serde, client, database }).catchUp();
      const fromLog = (await logSignals(log)).sort(bySignalOrder);
      const fromDb = await querySignals(client, { database });
      assert.equal(fromDb.length, signals.length);
      assert.deepEqual(fromDb, fromLog);
      const one = await querySignals(client, { database, symbol: 'ETHUSD', from: signals[4]!.barEnd, to: signals[10]!.barEnd });
      assert.deepEqual(one, fromLog.filter((s) => s.symbol === 'ETHUSD' && s.barEnd >= signals[4]!.barEnd && s.barEnd < signals[10]!.barEnd));
      assert.equal(one.length, 2, '[from, to) on barEnd: ETHUSD at i = 4 and 7, not 10');
      // The contract and timeframe columns answer plain SQL: a WHERE on the flat contract columns,
      // an ARRAY JOIN over the parallel timeframe arrays.
      const calls = await client.query({ query: `SELECT count() AS n FROM ${database}.signals FINAL WHERE contract_right = 'CALL' AND contract_premium > 0`, format: 'JSONEachRow' });
      assert.equal(Number((await calls.json<{ n: string }>())[0]!.n), signals.filter((s) => s.contract?.right === 'CALL').length);
      const views = await client.query({
        query: `SELECT tf, count() AS n, countIf(isNull(p)) AS missing FROM ${database}.signals FINAL ARRAY JOIN timeframe_intervals AS tf, timeframe_p_up AS p GROUP BY tf ORDER BY tf`,
        format: 'JSONEachRow',
      });
      const withViews = signals.filter((s) => (s.timeframes ?? []).length > 0).length;
      assert.deepEqual((await views.json<{ tf: string; n: string; missing: string }>()).map((r) => [r.tf, Number(r.n), Number(r.missing)]), [['15m', withViews, withViews], ['5m', withViews, 0]]);
    } finally {
      await close();
    }
  });

  test('aborted in the middle of catching up, then restarted: no loss and no duplicates', async () => {
    const { client, database, log, close } = await setup();
    try {
      const total = 600;
      await appendValues(log, 'signals', Array.from({ length: total }, (_, i) => makeSignal(i)), bySymbol, byEventTime);
      // Abort right after the second signals insert is acknowledged, before its offsets commit.
      const ac = new AbortController();
      let inserts = 0;
      const killing = new Proxy(client, {
        get(target, prop, receiver) {
          if (prop !== 'exec') return Reflect.get(target, prop, receiver);
          return async (params: Parameters<ClickHouseClient['exec']>[0]) => {
            const result = await target.exec(params);
            if (params.query.includes('.signals (') && ++inserts === 2) ac.abort(new Error('killed'));
            return result;
          };
        },
      });
      const options = { log: log.log, serde: log.serde, database, batchRows: 50, topics: ['signals' as const] };
      const killed = await new ClickHouseProjector({ ...options, client: killing }).catchUp({ signal: ac.signal });
      assert.equal(killed.completed, false);
      const committed = [...(await new OffsetStore(client, database, 'clickhouse-projector').load()).values()].reduce((a, b) => a + b, 0);
      const stored = await counts(client, database, 'signals');
      assert.ok(committed < total, `stopped midway (committed ${committed})`);
      assert.ok(stored.raw > committed, `rows of the killed batch are stored but not committed (${stored.raw} > ${committed})`);

      const resumed = await new ClickHouseProjector({ ...options, client }).catchUp();
      assert.equal(resumed.completed, true);
      assert.equal(resumed.topics['signals']?.read, total - committed, 'restart reads from the committed offsets');
      const after = await counts(client, database, 'signals');
      assert.equal(after.final, total);
      // The uncommitted batch was inserted twice; it reads back once.
      const fromDb = await querySignals(client, { database });
      assert.deepEqual(fromDb, (await logSignals(log)).sort(bySignalOrder));
    } finally {
      await close();
    }
  });

  test('malformed records never reach ClickHouse; they are dead-lettered once, with a reason', async () => {
    const { client, database, log, close } = await setup();
    try {
      const good = Array.from({ length: 20 }, (_, i) => makeSignal(i));
      const enc = (s: object): Uint8Array => log.serde.encode('signals', s);
      const bad = [
        { key: 'X', value: Uint8Array.of(7, 7, 7, 7, 7, 7), why: /bad-magic-byte/ },
        { key: 'X', value: Uint8Array.of(0, 0, 0, 0x7f, 0x7f, 1, 2), why: /cannot decode/ },
        { key: 'NANUSD', value: enc({ ...makeSignal(100, 'NANUSD'), pUp: Number.NaN }), why: /pUp/ },
        { key: '', value: enc({ ...makeSignal(101, ''), id: 'empty-symbol' }), why: /symbol/ },
        { key: 'BIGUSD', value: enc({ ...makeSignal(102, 'BIGUSD'), pDown: 1.5 }), why: /pDown/ },
      ];
      await appendValues(log, 'signals', good.slice(0, 10), bySymbol, byEventTime);
      await log.log.append('signals', bad.map((b) => ({ key: b.key, timestamp: 1_700_000_000_000, value: b.value })));
      await appendValues(log, 'signals', good.slice(10), bySymbol, byEventTime);
      const projector = new ClickHouseProjector({ log: log.log, serde: log.serde, client, database });

      const report = await projector.catchUp();
      assert.equal(report.topics['signals']?.invalid, bad.length);
      assert.equal(report.topics['signals']?.inserted, good.length);
      assert.deepEqual((await querySignals(client, { database })).map((s) => s.id).sort(), good.map((s) => s.id).sort());
      const letters = await deadLetters(log);
      assert.equal(letters.length, bad.length);
      for (const b of bad) {
        const letter = letters.find((d) => Buffer.from(d.payload).equals(Buffer.from(b.value)));
        assert.ok(letter, 'the original bytes are kept');
        assert.equal(letter.topic, 'signals');
        assert.ok(letter.reason.startsWith(DEAD_LETTER_REASON_PREFIX) && b.why.test(letter.reason), letter.reason);
      }
      assert.equal((await counts(client, database, 'dead_letters')).final, bad.length, 'dead letters are projected too');

      await projector.catchUp({ from: 'earliest' });
      assert.equal((await deadLetters(log)).length, bad.length, 'a rebuild does not dead-letter the same records again');
      assert.equal((await counts(client, database, 'signals')).final, good.length);
    } finally {
      await close();
    }
  });

  test('a batch the server rejects is split down to rows; only the rejected rows are dead-lettered', async () => {
    const { client, database, log, close } = await setup();
    try {
      // A server-side check, as a CHECK constraint would be on newer servers (18.16 has throwIf).
      await client.command({ query: `ALTER TABLE ${database}.signals ADD COLUMN guard UInt8 MATERIALIZED throwIf(symbol = 'REJECTME')` });
      const signals = Array.from({ length: 100 }, (_, i) => (i % 37 === 5 ? makeSignal(i, 'REJECTME') : makeSignal(i)));
      const rejected = signals.filter((s) => s.symbol === 'REJECTME');
      await appendValues(log, 'signals', signals, bySymbol, byEventTime);

      const report = await new ClickHouseProjector({ log: log.log, serde: log.serde, client, database }).catchUp();
      assert.equal(report.topics['signals']?.rejected, rejected.length);
      assert.equal(report.topics['signals']?.inserted, signals.length - rejected.length);
      assert.equal((await counts(client, database, 'signals')).final, signals.length - rejected.length);
      const letters = (await deadLetters(log)).filter((d) => d.topic === 'signals');
      assert.equal(letters.length, rejected.length);
      for (const d of letters) assert.match(d.reason, /rejected by ClickHouse: Code: 395/);
    } finally {
      await close();
    }
  });
});
