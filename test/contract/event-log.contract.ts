import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { partitionFor, type AppendRecord, type EventLog, type LogRecord } from '../../storage/log/event-log.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The behaviour every EventLog implementation (embedded lmdb, Kafka) must show. Each test uses a
 * fresh topic that is not in the catalogue, so it also runs against a shared Kafka cluster, and
 * never assumes a partition count: it asks `partitions(topic)`.
 */
export function eventLogContract(name: string, factory: () => Promise<{ log: EventLog; cleanup: () => Promise<void> }>): void {
  describe(`EventLog contract: ${name}`, { timeout: 60_000 }, () => {
    let log: EventLog;
    let cleanup: () => Promise<void>;
    beforeEach(async () => ({ log, cleanup } = await factory()));
    afterEach(async () => cleanup());

    test('append returns positions in input order, partitionFor(key) partitions, contiguous offsets', async () => {
      const topic = freshTopic();
      const n = await log.partitions(topic);
      assert.ok(n >= 1);
      const records = Array.from({ length: 60 }, (_, i) => rec(`key-${i % 7}`, 1_000 + i, [i]));
      const first = await log.append(topic, records.slice(0, 25));
      const second = await log.append(topic, records.slice(25));
      const positions = [...first, ...second];
      assert.equal(positions.length, records.length);
      const expectedNext = new Map<number, number>();
      positions.forEach((pos, i) => {
        assert.equal(pos.partition, partitionFor(records[i]!.key, n), `record ${i}`);
        assert.equal(pos.offset, expectedNext.get(pos.partition) ?? 0, `record ${i}: offsets count up from 0 per partition`);
        expectedNext.set(pos.partition, pos.offset + 1);
      });
      for (let p = 0; p < n; p++) assert.equal(await log.endOffset(topic, p), expectedNext.get(p) ?? 0);
      assert.deepEqual(await log.append(topic, []), []);
      assert.ok((await log.topics()).includes(topic));
    });

    test('records read back byte-identical with their position, and per-key order kept', async () => {
      const topic = freshTopic();
      const n = await log.partitions(topic);
      const big = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
      const records = [
        rec('AAPL', 1_700_000_000_123, [0, 0, 0, 0, 1, 2, 255]),
        rec('é-ü-東京-🙂', 1, []),
        { key: 'big', timestamp: 2, value: big },
        ...Array.from({ length: 40 }, (_, i) => rec(i % 2 ? 'AAPL' : 'MSFT', 10 + i, [i, 255 - i])),
      ];
      const positions = await log.append(topic, records);
      const read = await readAll(log, topic, n);
      positions.forEach((pos, i) => {
        const got = read.get(pos.partition)?.[pos.offset];
        assert.ok(got, `record ${i} at ${pos.partition}/${pos.offset}`);
        assert.equal(got.topic, topic);
        assert.equal(got.partition, pos.partition);
        assert.equal(got.offset, pos.offset);
        assert.equal(got.key, records[i]!.key);
        assert.equal(got.timestamp, records[i]!.timestamp);
        assert.deepEqual(Buffer.from(got.value), Buffer.from(records[i]!.value));
      });
      // Per key, read order equals append order (values carry the append index).
      for (const key of ['AAPL', 'MSFT']) {
        const p = partitionFor(key, n);
        const seen = read.get(p)!.filter((r) => r.key === key && r.value.length === 2).map((r) => r.value[0]);
        const sent = records.filter((r) => r.key === key && r.value.length === 2).map((r) => r.value[0]);
        assert.deepEqual(seen, sent);
      }
    });

    test('read honours fromOffset, toOffset and batchSize', async () => {
      const topic = freshTopic();
      const key = 'one-key';
      const positions = await log.append(topic, Array.from({ length: 30 }, (_, i) => rec(key, 5_000 + i, [i])));
      const p = positions[0]!.partition;
      const batches = await collect(log.read(topic, p, { fromOffset: 10, toOffset: 27, batchSize: 5 }));
      assert.deepEqual(batches.map((b) => b.length), [5, 5, 5, 2]);
      assert.deepEqual(batches.flat().map((r) => r.offset), range(10, 27));
      assert.deepEqual(batches.flat().map((r) => r.value[0]), range(10, 27));
      assert.deepEqual((await collect(log.read(topic, p))).flat().map((r) => r.offset), range(0, 30));
      assert.deepEqual(await collect(log.read(topic, p, { fromOffset: 30 })), []);
      assert.deepEqual((await collect(log.read(topic, p, { fromOffset: 28, toOffset: 1_000 }))).flat().map((r) => r.offset), [28, 29]);
      // Without toOffset the read stops at the end as of its start, not at records appended meanwhile.
      const it = log.read(topic, p, { batchSize: 10 })[Symbol.asyncIterator]();
      const firstBatch = await it.next();
      await log.append(topic, [rec(key, 9_999, [99])]);
      let total = firstBatch.done ? 0 : firstBatch.value.length;
      for (let r = await it.next(); !r.done; r = await it.next()) total += r.value.length;
      assert.equal(total, 30);
      assert.equal(await log.endOffset(topic, p), 31);
    });

    test('offsetForTime: earliest offset with timestamp >= ts, with out-of-order timestamps', async () => {
      const topic = freshTopic();
      const timestamps = [1_000, 1_010, 1_005, 1_020, 1_015, 1_030];
      const positions = await log.append(topic, timestamps.map((ts, i) => rec('k', ts, [i])));
      const p = positions[0]!.partition;
      // Expected values worked out by hand from `timestamps` (Kafka ListOffsets semantics).
      const cases: [number, number][] = [
        [0, 0], // before the first: offset 0
        [1_000, 0], // exact first
        [1_005, 1], // 1_010 at offset 1 comes before the 1_005 at offset 2
        [1_010, 1], // exact
        [1_011, 3], // between: first >= is 1_020 at offset 3
        [1_016, 3],
        [1_030, 5], // exact last
        [1_031, 6], // after the last: endOffset
      ];
      for (const [ts, expected] of cases) assert.equal(await log.offsetForTime(topic, p, ts), expected, `ts ${ts}`);
    });

    test('offsetForTime matches a brute-force scan over several thousand jittered records', async () => {
      const topic = freshTopic();
      let seed = 12345; // small LCG (Numerical Recipes constants): deterministic jitter
      const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const timestamps: number[] = [];
      let p = -1;
      for (let batch = 0; batch < 5; batch++) {
        const records = Array.from({ length: 700 }, (_, i) => {
          const ts = 100_000 + (batch * 700 + i) * 10 + Math.floor(rand() * 60) - 30; // up to 30 ms out of order
          timestamps.push(ts);
          return rec('same-key', ts, [i & 0xff]);
        });
        p = (await log.append(topic, records))[0]!.partition;
      }
      const bruteForce = (ts: number) => {
        const i = timestamps.findIndex((t) => t >= ts);
        return i < 0 ? timestamps.length : i;
      };
      for (let k = 0; k < 60; k++) {
        const ts = 99_900 + Math.floor(rand() * 35_300);
        assert.equal(await log.offsetForTime(topic, p, ts), bruteForce(ts), `ts ${ts}`);
      }
      for (const ts of [timestamps[0]!, timestamps[1_024]!, timestamps[2_047]!, Math.max(...timestamps)]) {
        assert.equal(await log.offsetForTime(topic, p, ts), bruteForce(ts), `exact ts ${ts}`);
      }
    });

    test('follow yields existing records, then new appends, and stops on abort', async () => {
      const topic = freshTopic();
      const p = (await log.append(topic, [rec('f', 1, [0]), rec('f', 2, [1]), rec('f', 3, [2])]))[0]!.partition;
      const ac = new AbortController();
      const seen: LogRecord[] = [];
      const following = (async () => {
        for await (const batch of log.follow(topic, p, 1, ac.signal)) seen.push(...batch);
      })();
      await waitFor('existing records', () => seen.length >= 2);
      await log.append(topic, [rec('f', 4, [3]), rec('f', 5, [4])]);
      await waitFor('appended records', () => seen.length >= 4);
      ac.abort();
      await withTimeout(following, 5_000, 'follow did not end after abort');
      assert.deepEqual(seen.map((r) => r.offset), [1, 2, 3, 4]);
      assert.deepEqual(seen.map((r) => r.value[0]), [1, 2, 3, 4]);
    });

    test('follow on an idle partition ends promptly when aborted', async () => {
      const topic = freshTopic();
      const n = await log.partitions(topic);
      const ac = new AbortController();
      const following = collect(log.follow(topic, n - 1, 0, ac.signal));
      // A fixed delay on purpose: what is tested is an abort while the follow is idle-waiting,
      // and nothing observable says it has started to wait (an idle follow yields nothing).
      setTimeout(() => ac.abort(), 50);
      assert.deepEqual(await withTimeout(following, 5_000, 'idle follow did not end'), []);
    });
  });
}

let topicCounter = 0;
function freshTopic(): string {
  return `contract-${process.pid}-${Date.now().toString(36)}-${topicCounter++}`;
}

function rec(key: string, timestamp: number, bytes: number[]): AppendRecord {
  return { key, timestamp, value: Uint8Array.from(bytes) };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function readAll(log: EventLog, topic: string, partitions: number): Promise<Map<number, LogRecord[]>> {
  const out = new Map<number, LogRecord[]>();
  for (let p = 0; p < partitions; p++) out.set(p, (await collect(log.read(topic, p))).flat());
  return out;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
