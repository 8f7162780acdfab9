/**
 * KafkaEventLog's follows share one fetch loop (storage/kafka/follow-fetcher.ts, D124): at most one
 * Fetch in flight per broker, covering every followed partition it leads. On the real broker.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// Fresh topic names: the shared broker (npm test's, TICKFLOW_REAL_KAFKA) or one of this process.
const kafka = await realKafka();
after(() => ('skip' in kafka ? undefined : kafka.stop()));

const fresh = (name: string): string => `ff-${process.pid}-${Date.now().toString(36)}-${name}`;

/** A key for each partition of an n-partition topic (murmur2, as append places them). */
function keysFor(n: number): string[] {
  const keys = new Map<number, string>();
  for (let k = 0; keys.size < n; k++) if (!keys.has(partitionFor(`k${k}`, n))) keys.set(partitionFor(`k${k}`, n), `k${k}`);
  return Array.from({ length: n }, (_, p) => keys.get(p) as string);
}

/** A follow whose records are collected: values as text, offsets, and whether it has ended. */
interface Tail {
  topic: string;
  partition: number;
  values: string[];
  offsets: number[];
  ended: boolean;
  done: Promise<void>;
  ac: AbortController;
}

function tail(log: KafkaEventLog, topic: string, partition: number, from = 0, ac = new AbortController()): Tail {
  const t: Tail = { topic, partition, values: [], offsets: [], ended: false, done: Promise.resolve(), ac };
  t.done = (async () => {
    for await (const batch of log.follow(topic, partition, from, ac.signal)) {
      for (const r of batch) {
        t.values.push(Buffer.from(r.value).toString('utf8'));
        t.offsets.push(r.offset);
      }
    }
    t.ended = true;
  })();
  return t;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
// Records are stamped with the time of their append: one stamped near the epoch is past any
// retention, and the broker's retention check (every few minutes) deleted one while a test read it
// ("offset out of range" at offset 0, once in about 30 runs).

describe('KafkaEventLog follows: one Fetch per broker for all followed partitions', { skip: 'skip' in kafka ? kafka.skip : false, timeout: 120_000 }, () => {
  test('close() with 16 idle follows returns within about one followMaxWaitMs, and ends every follow', async () => {
    if ('skip' in kafka) return;
    // Not a timing benchmark but a structural property. A broker answers one connection's
    // requests one at a time and kafkajs's disconnect waits for the requests in flight. With a
    // Fetch per follow, 16 idle follows were 16 long polls queued on the one fetch connection,
    // and close() waited for all of them: 16 × 500 ms (measured 8,032 ms). With one Fetch for
    // all of them there is one poll in flight, so close() waits for at most one 500 ms poll. The
    // 3 s bound sits well between one poll and sixteen, with room for a loaded machine.
    const log = await KafkaEventLog.connect({ brokers: kafka.brokers, followMaxWaitMs: 500 });
    // Closed whatever happens: a failed wait must not leave 16 follows polling (the process would not end).
    try {
      const topics = ['a', 'b', 'c', 'd'].map(fresh);
      for (const topic of topics) assert.equal(await log.partitions(topic), 4); // auto-created: num.partitions=4 (kafka/broker.ts)
      for (const topic of topics) await log.append(topic, keysFor(4).map((key) => ({ key, timestamp: Date.now(), value: text(`${topic}:${key}`) })));
      const tails = topics.flatMap((topic) => [0, 1, 2, 3].map((p) => tail(log, topic, p)));
      await waitFor(() => `every follow to get its record (${tails.filter((t) => t.values.length > 0).length} of 16): ${JSON.stringify(log.followState())}`, () => tails.every((t) => t.values.length === 1), { timeoutMs: 30_000 });
      // Let them go idle: every follow now sits in long polls with nothing to read.
      const polls = log.readStats().followFetches;
      await waitFor(() => `two more idle polls (${log.readStats().followFetches - polls} so far): ${JSON.stringify(log.followState())}`, () => log.readStats().followFetches >= polls + 2, { timeoutMs: 10_000 });
      const stats = log.readStats();
      assert.equal(stats.followFetchesMaxInFlight, 1, 'one broker: never more than one follow Fetch in flight');
      const t0 = performance.now();
      await log.close();
      const closeMs = performance.now() - t0;
      await Promise.all(tails.map((t) => t.done));
      assert.ok(tails.every((t) => t.ended), 'close() ended every follow');
      assert.ok(closeMs < 3_000, `close() took ${Math.round(closeMs)} ms: more than a few 500 ms polls queued (a Fetch per follow takes 16 × 500 ms)`);
    } finally {
      await log.close();
    }
  });

  test('reads are not held up by an idle follow: the follows fetch on a connection of their own (D168)', async () => {
    if ('skip' in kafka) return;
    // kafkajs sends every Fetch to a broker on one connection (connectionPool.js: Fetch on
    // pool[1]) and a broker answers one connection's requests one at a time. With the follows'
    // long poll (3 s here) on the reads' connection, each read's Fetch waited behind it: this
    // process's reads, and a group member's rounds, took up to followMaxWaitMs more.
    const log = await KafkaEventLog.connect({ brokers: kafka.brokers, followMaxWaitMs: 3_000 });
    const ac = new AbortController();
    try {
      const [idle, busy] = ['idle', 'busy'].map(fresh) as [string, string];
      await log.partitions(idle);
      await log.append(busy, keysFor(4).map((key) => ({ key, timestamp: Date.now(), value: text(key) })));
      const t = tail(log, idle, 0, 0, ac);
      const slowest: number[] = [];
      for (let i = 0; i < 3; i++) {
        // A follow Fetch is parked on the broker (nothing to read on `idle`) while this read runs.
        const polls = log.readStats().followFetches;
        await waitFor(() => `a follow poll: ${JSON.stringify(log.followState())}`, () => log.readStats().followFetches > polls, { timeoutMs: 10_000 });
        const t0 = performance.now();
        let n = 0;
        for await (const batch of log.read(busy, 0)) n += batch.length;
        slowest.push(performance.now() - t0);
        assert.equal(n, 1);
      }
      assert.ok(Math.max(...slowest) < 1_500, `reads took ${slowest.map((ms) => Math.round(ms)).join(', ')} ms: held up behind the follows' 3 s polls`);
      assert.deepEqual(t.values, []);
    } finally {
      ac.abort();
      await log.close();
    }
  });

  test('every follow gets its partition in offset order, each record once, read_committed, while appends interleave', async () => {
    if ('skip' in kafka) return;
    const log = await KafkaEventLog.connect({ brokers: kafka.brokers, followMaxWaitMs: 200 });
    try {
      const topics = ['x', 'y'].map(fresh);
      for (const topic of topics) await log.partitions(topic);
      const keys = keysFor(4);
      const tails = topics.flatMap((topic) => [0, 1, 2, 3].map((p) => tail(log, topic, p)));
      // 20 appends of 2 topics × 4 partitions × 3 records, in between a transactional producer's
      // aborted and committed records on partition 1 of the first topic.
      const producer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer({ transactionalId: fresh('txn'), idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const expected = new Map<string, string[]>();
      const add = (topic: string, p: number, v: string): void => void (expected.get(`${topic}/${p}`) ?? expected.set(`${topic}/${p}`, []).get(`${topic}/${p}`)!).push(v);
      try {
        for (let round = 0; round < 20; round++) {
          for (const topic of topics) {
            const records = keys.flatMap((key, p) => [0, 1, 2].map((j) => ({ key, timestamp: Date.now(), value: text(`${topic}/${p}#${round}.${j}`) })));
            await log.append(topic, records);
            for (const r of records) add(topic, partitionFor(r.key, 4), Buffer.from(r.value).toString('utf8'));
          }
          if (round % 5 === 2) {
            const t = topics[0] as string;
            const aborted = await producer.transaction();
            await aborted.send({ topic: t, messages: [{ partition: 1, key: keys[1]!, value: `aborted#${round}` }] });
            await aborted.abort();
            const committed = await producer.transaction();
            await committed.send({ topic: t, messages: [{ partition: 1, key: keys[1]!, value: `committed#${round}` }] });
            await committed.commit();
            add(t, 1, `committed#${round}`);
          }
        }
      } finally {
        await producer.disconnect();
      }
      const total = [...expected.values()].reduce((n, v) => n + v.length, 0);
      const seen = (): number => tails.reduce((n, t) => n + t.values.length, 0);
      await waitFor(() => `all ${total} records followed (${seen()} so far): ${JSON.stringify(log.followState())}`, () => seen() >= total, { timeoutMs: 60_000 });
      for (const t of tails) {
        assert.deepEqual(t.values, expected.get(`${t.topic}/${t.partition}`), `${t.topic}/${t.partition}: every record once, in order, nothing aborted`);
        for (let i = 1; i < t.offsets.length; i++) assert.ok(t.offsets[i]! > t.offsets[i - 1]!, `${t.topic}/${t.partition}: offsets increase`);
      }
      assert.equal(log.readStats().followFetchesMaxInFlight, 1);
      for (const t of tails) t.ac.abort();
      await Promise.all(tails.map((t) => t.done));
    } finally {
      await log.close();
    }
  });

  test('follows added and removed while others run; two follows of one partition at different offsets; a follow that does not pull holds the others up in nothing', async () => {
    if ('skip' in kafka) return;
    const log = await KafkaEventLog.connect({ brokers: kafka.brokers, followMaxWaitMs: 200 });
    try {
      const topic = fresh('z');
      await log.partitions(topic);
      const keys = keysFor(4);
      const all: string[][] = [[], [], [], []];
      const append = async (tag: string): Promise<void> => {
        const records = keys.map((key, p) => ({ key, timestamp: Date.now(), value: text(`${p}:${tag}`) }));
        await log.append(topic, records);
        records.forEach((r, p) => all[p]!.push(Buffer.from(r.value).toString('utf8')));
      };
      const running = [tail(log, topic, 0), tail(log, topic, 1)];
      // A follow of partition 2 whose consumer takes one batch and then does not pull for a while.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const stalled: string[] = [];
      const stallAc = new AbortController();
      const stalledDone = (async () => {
        let first = true;
        for await (const batch of log.follow(topic, 2, 0, stallAc.signal)) {
          for (const r of batch) stalled.push(Buffer.from(r.value).toString('utf8'));
          if (first) await released;
          first = false;
        }
      })();
      for (let i = 0; i < 5; i++) await append(`a${i}`);
      await waitFor(() => `the first follows to catch up: ${JSON.stringify(log.followState())}`, () => running.every((t) => t.values.length === 5) && stalled.length > 0, { timeoutMs: 30_000 });
      // Added while those run: partition 3, a second follow of partition 0 from offset 3, and
      // one of partition 1 from 0 again.
      const added = [tail(log, topic, 3), tail(log, topic, 0, 3), tail(log, topic, 1, 0)];
      // Removed while others run: the first follow of partition 1.
      running[1]!.ac.abort();
      await running[1]!.done;
      for (let i = 5; i < 12; i++) await append(`a${i}`);
      await waitFor(() => `the running follows to get every record: ${JSON.stringify(log.followState())}`, () => running[0]!.values.length === 12 && added[0]!.values.length === 12 && added[1]!.values.length === 9 && added[2]!.values.length === 12, { timeoutMs: 30_000 });
      assert.deepEqual(running[0]!.values, all[0]);
      assert.deepEqual(added[0]!.values, all[3]);
      assert.deepEqual(added[1]!.values, all[0]!.slice(3), 'a second follow of a partition from offset 3 gets exactly from 3 on');
      assert.deepEqual(added[2]!.values, all[1]);
      assert.ok(running[1]!.ended, 'the removed follow ended');
      assert.ok(running[1]!.values.length <= 12 && running[1]!.values.every((v, i) => v === all[1]![i]), 'the removed follow got a prefix, in order');
      // The stalled follow has held everything up but itself: now it pulls and gets the rest, in order.
      release();
      await waitFor(() => `the stalled follow to catch up (${stalled.length} of 12): ${JSON.stringify(log.followState())}`, () => stalled.length === 12, { timeoutMs: 30_000 });
      assert.deepEqual(stalled, all[2]);
      assert.equal(log.readStats().followFetchesMaxInFlight, 1);
      stallAc.abort();
      for (const t of [...running, ...added]) t.ac.abort();
      await Promise.all([stalledDone, ...running.map((t) => t.done), ...added.map((t) => t.done)]);
    } finally {
      await log.close();
    }
  });
});
