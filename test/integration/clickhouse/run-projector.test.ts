/**
 * `tickflow run projector` on a real Kafka broker and a real ClickHouse: bars and signals on
 * Kafka, with the copies at-least-once processing leaves, before and while it follows, end up as
 * one row per id; SIGTERM ends with a completed catch-up. The broker is empty (the test uses the
 * catalogue's topic names): npm test's shared one emptied, or one of this process (kafka-broker.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { openClickHouse } from '../../../sinks/clickhouse/open-clickhouse.ts';
import type { ProjectionReport } from '../../../sinks/clickhouse/projector.ts';
import { qualified } from '../../../sinks/clickhouse/sql.ts';
import { createCatalogueTopics } from '../../../storage/kafka/create-topics.ts';
import { openKafkaLog, type KafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { spawnCli, tempDir } from '../../helpers/cli.ts';
import { realKafka, withAdmin, type RealKafkaResult } from '../../helpers/kafka-broker.ts';
import { until, watch } from '../kafka/group-helpers.ts';
import { makeBar, makeSignal, type StartResult, startClickHouse, uniqueName, waitFor } from './fixtures.ts';

const kafka: RealKafkaResult = await realKafka({ own: true });
const server: StartResult = 'skip' in kafka ? { skip: kafka.skip } : await startClickHouse();
const schemas = tempDir('tickflow-run-projector-schemas-');
process.env['TICKFLOW_SCHEMA_DIR'] = schemas.dir; // the CLI child inherits it: same registry-less ids
after(async () => {
  if (!('skip' in kafka)) await kafka.stop();
  if (!('skip' in server)) await server.stop();
  schemas.cleanup();
});

async function append(k: KafkaLog, topic: 'signals' | 'bars', values: (Signal | Bar)[]): Promise<void> {
  await k.log.append(topic, values.map((v) => ({ key: v.symbol, timestamp: v.tsEvent, value: k.serde.encode(topic, v) })));
}

/** Rows per id after deduplication, and the physical row count. */
async function rowsById(client: ClickHouseClient, database: string, table: string): Promise<{ perId: Map<string, number>; raw: number }> {
  const rs = await client.query({ query: `SELECT id, count() AS n FROM ${qualified(database, table)} FINAL GROUP BY id`, format: 'JSONEachRow' });
  const perId = new Map((await rs.json<{ id: string; n: string }>()).map((r) => [r.id, Number(r.n)]));
  const raw = await client.query({ query: `SELECT count() AS n FROM ${qualified(database, table)}`, format: 'JSONEachRow' });
  return { perId, raw: Number((await raw.json<{ n: string }>())[0]?.n) };
}

describe('tickflow run projector', { skip: 'skip' in server ? server.skip : false, timeout: 120_000 }, () => {
  test('copies on the topics, before and while it follows, leave one row per id', async () => {
    if ('skip' in kafka || 'skip' in server) return;
    const database = uniqueName('runproj');
    const client = openClickHouse(server.url);
    await withAdmin(kafka.brokers, createCatalogueTopics); // as `tickflow topics create` makes them
    const k = await openKafkaLog({ brokers: kafka.brokers });
    const proj = watch(spawnCli(['run', 'projector', '--broker', kafka.brokers.join(','), '--clickhouse', server.url, '--database', database]));
    try {
      // Symbols round-robin BTC, ETH, SOL: each copy is followed by a new record of its symbol
      // (its partition), so once every id has a row, every copy has been read too.
      const signals = Array.from({ length: 9 }, (_, i) => makeSignal(i));
      const bars = Array.from({ length: 5 }, (_, i) => makeBar(i));
      const barId = (b: Bar): string => `${b.symbol}|${b.interval}|${b.end}`;
      // Before it follows: six signals and a copy of one (SOL), four bars and a copy of one (ETH).
      await append(k, 'signals', [...signals.slice(0, 6), signals[2]!]);
      await append(k, 'bars', [...bars.slice(0, 4), bars[1]!]);
      await until(() => /projector: following/.test(proj.stderr) || proj.proc.exitCode !== null, 60_000, () => `projector following\n${proj.stderr}`);
      // While it follows: a copy of an early signal (BTC), then three new ones; a new bar (ETH).
      await append(k, 'signals', [signals[0]!, ...signals.slice(6)]);
      await append(k, 'bars', [bars[4]!]);

      await waitFor('every signal and bar in ClickHouse', async () => {
        const [s, b] = await Promise.all([rowsById(client, database, 'signals'), rowsById(client, database, 'bars')]);
        return s.perId.size === signals.length && b.perId.size === bars.length;
      }, 60_000);
      proj.proc.kill('SIGTERM');
      assert.equal(await proj.exited, 0, proj.stderr);
      const out = JSON.parse(proj.stdout.trim().split('\n').pop() ?? '{}') as { follow: ProjectionReport; catchUp: ProjectionReport };
      assert.equal(out.catchUp.completed, true, proj.stdout);
      assert.equal(out.follow.topics['signals']!.read, 11, 'every signal record was read, copies included');
      assert.equal(out.follow.topics['bars']!.read, 6, 'every bar record was read, copies included');

      const s = await rowsById(client, database, 'signals');
      assert.deepEqual([...s.perId.keys()].sort(), signals.map((x) => x.id).sort());
      assert.ok([...s.perId.values()].every((n) => n === 1), 'one signal row per id with FINAL');
      const b = await rowsById(client, database, 'bars');
      assert.deepEqual([...b.perId.keys()].sort(), bars.map(barId).sort());
      assert.ok([...b.perId.values()].every((n) => n === 1), 'one bar row per id with FINAL');
      assert.ok(s.raw >= signals.length && b.raw >= bars.length);
    } finally {
      proj.proc.kill('SIGKILL');
      await k.close();
      await client.close();
    }
  });
});
