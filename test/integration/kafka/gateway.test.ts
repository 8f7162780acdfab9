/**
 * `tickflow run gateway` on a real Kafka broker: signals and bars appended to Kafka (with the
 * copies at-least-once processing leaves) reach a WebSocket client once per id, in partition
 * order, and the summary counts the copies it dropped. The broker is empty (it uses the
 * catalogue's topic names): npm test's shared one emptied, or one of this process (kafka-broker.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { createCatalogueTopics } from '../../../storage/kafka/create-topics.ts';
import { openKafkaLog, type KafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { spawnCli, tempDir } from '../../helpers/cli.ts';
import { realKafka, withAdmin } from '../../helpers/kafka-broker.ts';
import { TestClient, type Msg } from '../../unit/ws/ws-test-client.ts';
import { makeBar, makeSignal } from '../clickhouse/fixtures.ts';
import { until, watch } from './group-helpers.ts';

const kafka = await realKafka({ own: true });
const schemas = tempDir('tickflow-gateway-schemas-');
process.env['TICKFLOW_SCHEMA_DIR'] = schemas.dir; // the CLI child inherits it: same registry-less ids
after(async () => {
  if (!('skip' in kafka)) await kafka.stop();
  schemas.cleanup();
});

/** Ids of this run only (the bars' ids come from their end times). */
const RUN = randomBytes(4).toString('hex');
const sig = (i: number, symbol: string): Signal => ({ ...makeSignal(i * 3, symbol), id: `${RUN}-${symbol}-${i}` });
const BAR_BASE = (Number.parseInt(RUN, 16) % 100_000) * 3; // bar ids come from their end time
const barOf = (i: number, symbol: string): Bar => makeBar(BAR_BASE + i * 3, symbol);
const barId = (b: Bar): string => `${b.symbol}|${b.interval}|${b.end}`;

async function append(k: KafkaLog, topic: 'signals' | 'bars', values: (Signal | Bar)[]): Promise<void> {
  await k.log.append(topic, values.map((v) => ({ key: v.symbol, timestamp: v.tsEvent, value: k.serde.encode(topic, v) })));
}

describe('tickflow run gateway', { skip: 'skip' in kafka ? kafka.skip : false, timeout: 120_000 }, () => {
  test('each id once, in partition order; copies from before and after the start dropped and counted', async () => {
    if ('skip' in kafka) return;
    const broker = kafka.brokers.join(',');
    await withAdmin(kafka.brokers, createCatalogueTopics); // as `tickflow topics create` makes them
    const k = await openKafkaLog({ brokers: kafka.brokers });
    const gw = watch(spawnCli(['run', 'gateway', '--broker', broker, '--port', '0']));
    try {
      // Before the gateway starts: not published (it starts at the end), but remembered.
      const early = [sig(1, 'BTC'), sig(1, 'ETH'), sig(1, 'SOL'), sig(1, 'BTC')];
      await append(k, 'signals', early);
      await until(() => /gateway: following/.test(gw.stderr) || gw.proc.exitCode !== null, 60_000, () => `gateway following\n${gw.stderr}`);
      const port = Number(/WebSocket: ws:\/\/localhost:(\d+)\/ws/.exec(gw.stderr)?.[1]);
      assert.ok(port > 0, gw.stderr);

      const client = await TestClient.connect(port);
      await client.request({ op: 'subscribe', channel: 'signals' }, 'subscribed');
      await client.request({ op: 'subscribe', channel: 'bars' }, 'subscribed');
      // After: a copy of an early record (ETH 1) and one of a new record (SOL 3). Each copy is
      // followed by a new record of its symbol, so when the last new ones are in, so are the copies.
      const late = [sig(2, 'BTC'), sig(1, 'ETH'), sig(2, 'ETH'), sig(3, 'SOL'), sig(3, 'SOL'), sig(4, 'SOL'), sig(5, 'BTC'), sig(1, 'XRP')];
      await append(k, 'signals', late);
      const bars = [barOf(1, 'BTC'), barOf(1, 'BTC'), barOf(2, 'BTC')];
      await append(k, 'bars', bars);

      const unique = [sig(2, 'BTC'), sig(2, 'ETH'), sig(3, 'SOL'), sig(4, 'SOL'), sig(5, 'BTC'), sig(1, 'XRP')];
      const ours = (m: Msg): boolean => m.type === 'signal' && ((m['data'] as Signal).id.startsWith(`${RUN}-`));
      const signalIds = (): string[] => client.received.filter(ours).map((m) => (m['data'] as Signal).id);
      const barIds = (): string[] => client.received.filter((m) => m.type === 'bar').map((m) => barId(m['data'] as Bar));
      await client.until(() => unique.every((s) => signalIds().includes(s.id)) && barIds().includes(barId(bars[2]!)), 'every new signal and the last bar', 30_000);
      // The page's API, served by the fan-out worker over its own Kafka client: the bars (copies dropped) and the symbol.
      const api = (await (await fetch(`http://127.0.0.1:${port}/api/bars?symbol=BTC&interval=${bars[0]!.interval}&from=${bars[0]!.end}&to=${bars[2]!.end + 1}`)).json()) as { bars: Bar[] };
      assert.deepEqual(api.bars.map(barId), [barId(bars[0]!), barId(bars[2]!)]);

      gw.proc.kill('SIGTERM');
      assert.equal(await gw.exited, 0, gw.stderr);
      await client.closed('the gateway closing the connection');
      const summary = JSON.parse(gw.stdout.trim().split('\n').pop() ?? '{}') as Record<string, { published: number; duplicatesDropped: number; undecodable: number }>;
      assert.deepEqual(summary['signals'], { published: unique.length, duplicatesDropped: 2, undecodable: 0 }, gw.stdout);
      assert.deepEqual(summary['bars'], { published: 2, duplicatesDropped: 1, undecodable: 0 }, gw.stdout);

      const got = signalIds();
      assert.deepEqual([...got].sort(), unique.map((s) => s.id).sort(), 'each new id exactly once, none from before the start');
      const partitions = await k.log.partitions('signals');
      for (let p = 0; p < partitions; p++) {
        const inP = (id: string): boolean => partitionFor(id.split('-')[1]!, partitions) === p;
        assert.deepEqual(got.filter(inP), unique.map((s) => s.id).filter(inP), `partition ${p} in offset order`);
      }
      assert.deepEqual(barIds(), [barId(bars[0]!), barId(bars[2]!)]);
    } finally {
      gw.proc.kill('SIGKILL');
      await k.close();
    }
  });
});
