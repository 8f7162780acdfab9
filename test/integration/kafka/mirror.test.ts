import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Trade } from '../../../schemas/trade.ts';
import { TRADE_SCHEMA } from '../../../schemas/trade.ts';
import { partitionFor, type EventLog, type LogRecord } from '../../../storage/log/event-log.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { createCatalogueTopics } from '../../../storage/kafka/create-topics.ts';
import { mirrorLog } from '../../../storage/kafka/mirror-log.ts';
import { openKafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { tempDir, type CliResult } from '../../helpers/cli.ts';
import { realKafka, withAdmin } from '../../helpers/kafka-broker.ts';

// A real broker with nothing on it (the first test mirrors the catalogue's `trades`): npm test's
// shared one emptied, or one of this process (kafka-broker.ts).
const kafka = await realKafka({ own: true });
const skip = 'skip' in kafka ? kafka.skip : false;
const brokers = 'skip' in kafka ? [] : kafka.brokers;
after(() => ('skip' in kafka ? undefined : kafka.stop()));

/** A schema no catalogue topic uses (ids are global: the catalogue's Trade would keep its id 1 everywhere). */
const TRADE_COPY = { ...TRADE_SCHEMA, name: 'TradeCopy' };

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'SPY', 'QQQ', 'TSLA'];

function trades(count: number, salt: number): Trade[] {
  return Array.from({ length: count }, (_, i) => ({
    tsEvent: 1_700_000_000_000 + i * 100 - (i % 7) * 30, // out of order within a few hundred ms
    tsInit: 1_700_000_000_000 + i * 100,
    symbol: SYMBOLS[(i * 5 + salt) % SYMBOLS.length]!,
    price: 100 + ((i * 37) % 1000) / 100,
    size: 1 + (i % 9),
    side: i % 3 === 0 ? 'SELL' : 'BUY',
    tradeId: i + salt * 1_000_000,
  }));
}

async function dump(log: EventLog, topic: string): Promise<LogRecord[][]> {
  const out: LogRecord[][] = [];
  const n = await log.partitions(topic);
  for (let p = 0; p < n; p++) {
    const recs: LogRecord[] = [];
    for await (const b of log.read(topic, p)) recs.push(...b);
    out.push(recs);
  }
  return out;
}

/** Position, key, timestamp and value bytes: what a mirror must preserve. */
const shape = (parts: LogRecord[][]) => parts.map((recs) => recs.map((r) => [r.partition, r.offset, r.key, r.timestamp, Buffer.from(r.value).toString('hex')]));

describe('mirror between the embedded log and Kafka (a real broker)', { skip, timeout: 60_000 }, () => {
  test('tickflow mirror: embedded -> Kafka -> embedded gives byte-identical partitions', async () => {
    const a = tempDir('tickflow-mirror-a-');
    const b = tempDir('tickflow-mirror-b-');
    const schemas = tempDir('tickflow-mirror-schemas-');
    try {
      const src = await openEmbeddedLog(a.dir);
      const batch = trades(3_000, 1);
      await src.log.append('trades', batch.map((t) => ({ key: t.symbol, timestamp: t.tsInit, value: src.serde.encode('trades', t) })));
      // A topic outside the catalogue with bytes that are not Avro: copied as they are.
      await src.log.append('misc', [{ key: 'x', timestamp: 1, value: Uint8Array.of(9, 8, 7) }, { key: 'y', timestamp: 0, value: new Uint8Array(0) }]);
      const expected = { trades: shape(await dump(src.log, 'trades')), misc: shape(await dump(src.log, 'misc')) };
      await src.close();

      // As `tickflow topics create` makes them: `progress` (which mirror writes to) takes
      // timestamps past the broker's default 1 h ahead limit (D12); partition counts as the embedded log's.
      await withAdmin(brokers, createCatalogueTopics);
      const broker = brokers.join(',');
      // Up, down and down again in one process (test/helpers/cli-batch.ts: a process start is
      // about 0.6 CPU s); the catalogue's topics were all created above, so the broker's topics
      // are known before the mirrors run.
      const down = ['mirror', '--from', 'kafka', '--broker', broker, '--schema-dir', schemas.dir, '--to', b.dir];
      const [up, first, again] = (await runCliBatch([['mirror', '--from', a.dir, '--to', 'kafka', '--broker', broker, '--schema-dir', schemas.dir], down, down])) as [CliResult, CliResult, CliResult];
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(up.json, { topics: { misc: 2, trades: 3_000 }, records: 3_002 });
      // Back down, every topic of the broker comes (but `progress` and the internal `__…` ones):
      // the catalogue's, created empty above, with none copied.
      const empty = Object.fromEntries((await withAdmin(brokers, (admin) => admin.listTopics()))
        .filter((t) => !t.startsWith('__') && t !== 'progress' && t !== 'misc' && t !== 'trades').map((t) => [t, 0]));
      assert.ok(Object.keys(empty).length >= 5, `the catalogue's other topics: ${Object.keys(empty).join(', ')}`);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(first.json, { topics: { ...empty, misc: 2, trades: 3_000 }, records: 3_002 });
      // Again: everything is there already, so nothing is copied twice.
      assert.deepEqual(again.json, { topics: { ...empty, misc: 0, trades: 0 }, records: 0 });

      const back = await openEmbeddedLog(b.dir);
      try {
        assert.deepEqual({ trades: shape(await dump(back.log, 'trades')), misc: shape(await dump(back.log, 'misc')) }, expected);
        assert.ok(expected.trades.filter((p) => p.length > 0).length > 1, 'the keys spread over several partitions');
      } finally {
        await back.close();
      }
    } finally {
      a.cleanup();
      b.cleanup();
      schemas.cleanup();
    }
  });

  test('a schema with another id in the target registry: only the id bytes change, values decode the same', async () => {
    const a = tempDir('tickflow-mirror-ids-');
    const schemas = tempDir('tickflow-mirror-ids-schemas-');
    const topic = `ids-${Date.now().toString(36)}`;
    try {
      const src = await openEmbeddedLog(a.dir);
      // Registering an extra schema first shifts this log's ids away from a fresh registry's.
      await src.serde.registerTopic('zzz-first', { type: 'record', name: 'Zzz', fields: [{ name: 'a', type: 'int' }] });
      const sourceId = await src.serde.registerTopic(topic, TRADE_COPY);
      const batch = trades(50, 2);
      await src.log.append(topic, batch.map((t) => ({ key: t.symbol, timestamp: t.tsInit, value: src.serde.encode(topic, t) })));
      const kafka = await openKafkaLog({ brokers, schemaDir: schemas.dir });
      try {
        const result = await mirrorLog(src, kafka, { topics: [topic] });
        assert.equal(result.records, 50);
        const targetId = await kafka.registry.getId(`${topic}-value`, { schemaType: 'AVRO', schema: JSON.stringify(TRADE_COPY) }, false);
        assert.notEqual(targetId, sourceId);
        await kafka.serde.loadSchema(targetId);
        const before = (await dump(src.log, topic)).flat();
        const after = (await dump(kafka.log, topic)).flat();
        assert.equal(after.length, before.length);
        after.forEach((r, i) => {
          const o = before.find((x) => x.partition === r.partition && x.offset === r.offset)!;
          assert.equal(Buffer.from(r.value).readUInt32BE(1), targetId);
          assert.deepEqual(Buffer.from(r.value).subarray(5), Buffer.from(o.value).subarray(5), `record ${i}`);
          assert.deepEqual({ ...(kafka.serde.decode(r.value).value as object) }, { ...(src.serde.decode(o.value).value as object) });
        });
      } finally {
        await kafka.close();
        await src.close();
      }
    } finally {
      a.cleanup();
      schemas.cleanup();
    }
  });

  test('a target that dropped the oldest records (retention moved its start) fails the mirror', async () => {
    const a = tempDir('tickflow-mirror-big-');
    const schemas = tempDir('tickflow-mirror-big-schemas-');
    const topic = `big-${Date.now().toString(36)}`;
    try {
      const src = await openEmbeddedLog(a.dir);
      await src.log.append(topic, Array.from({ length: 2_000 }, (_, i) => ({ key: 'one', timestamp: i, value: new Uint8Array(1_000).fill(i & 0xff) })));
      const kafka = await openKafkaLog({ brokers, schemaDir: schemas.dir });
      try {
        assert.equal((await mirrorLog(src, kafka, { topics: [topic] })).records, 2_000);
        // What retention does to a partition: its start moves past the oldest records. Played with
        // the broker's DeleteRecords (retention itself runs on the broker's own schedule).
        const partition = partitionFor('one', await kafka.log.partitions(topic));
        await withAdmin(brokers, async (admin) => {
          await admin.fetchTopicOffsets(topic); // loads the topic's metadata, which deleteTopicRecords needs
          await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: '500' }] });
        });
        await assert.rejects(mirrorLog(src, kafka, { topics: [topic] }), /dropped the oldest records/);
      } finally {
        await kafka.close();
        await src.close();
      }
    } finally {
      a.cleanup();
      schemas.cleanup();
    }
  });
});
