/**
 * FollowFetcher (D124) against a scripted reader: what a follow gets when fetches fail. The happy
 * paths, ordering and read_committed run on the real broker (test/integration/kafka/follow-fetch.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogRecord } from '../../../storage/log/event-log.ts';
import { FollowFetcher } from '../../../storage/kafka/follow-fetcher.ts';
import { KafkaLogError } from '../../../storage/kafka/kafka-log-error.ts';
import type { Fetched, FetchPart, PartitionReader } from '../../../storage/kafka/partition-reader.ts';
import { silentLogger } from '../../../lib/log.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** One broker (node 1) leading every partition; each partition holds records at offsets 0..n-1, and `fail` decides a fetch's error. */
class ScriptedReader {
  requests: FetchPart[][] = [];
  constructor(
    private readonly n: number,
    private readonly fail: (parts: readonly FetchPart[], call: number) => Error | undefined,
  ) {}
  async leaderId(): Promise<number> {
    return 1;
  }
  async fetchMany(_node: number, parts: readonly FetchPart[], maxWaitMs: number): Promise<Fetched[]> {
    this.requests.push([...parts]);
    const err = this.fail(parts, this.requests.length);
    if (err) throw err;
    const out = parts.map(({ topic, partition, offset }) => {
      const records: LogRecord[] = [];
      for (let o = offset; o < this.n && records.length < 3; o++) records.push({ topic, partition, offset: o, key: 'k', timestamp: o, value: Uint8Array.of(o) });
      return { records, nextOffset: offset + records.length };
    });
    if (out.every((f) => f.records.length === 0)) await new Promise((r) => setTimeout(r, maxWaitMs));
    return out;
  }
}

const fetcher = (reader: ScriptedReader, maxElapsedMs = 10_000): FollowFetcher =>
  new FollowFetcher(reader as unknown as PartitionReader, { maxWaitMs: 20, idleMs: 1, maxBytes: 1 << 20, backoff: { initialMs: 5, maxMs: 20, maxElapsedMs } }, silentLogger());

async function collect(f: FollowFetcher, topic: string, partition: number, want: number, signal: AbortSignal): Promise<{ offsets: number[]; error?: Error }> {
  const offsets: number[] = [];
  try {
    for await (const batch of f.follow(topic, partition, 0, signal)) {
      for (const r of batch) offsets.push(r.offset);
      if (offsets.length >= want) break;
    }
  } catch (e) {
    return { offsets, error: e as Error };
  }
  return { offsets };
}

test('a partition error that is not transient fails only its own follow; the others go on', async () => {
  // kafkajs fails a whole Fetch on one partition's error: the fetcher asks partition by partition to find it.
  const reader = new ScriptedReader(9, (parts) => (parts.some((p) => p.topic === 'bad') ? new KafkaLogError('fetch bad/0: offset out of range') : undefined));
  const f = fetcher(reader);
  const ac = new AbortController();
  const [good, bad] = await Promise.all([collect(f, 'good', 0, 9, ac.signal), collect(f, 'bad', 0, 9, ac.signal)]);
  assert.deepEqual(good.offsets, [0, 1, 2, 3, 4, 5, 6, 7, 8], 'the good follow got every record, in order');
  assert.equal(good.error, undefined);
  assert.deepEqual(bad.offsets, []);
  assert.match(String(bad.error?.message), /offset out of range/);
  f.close();
});

test('transient failures are retried with backoff and the follow goes on from where it was, each record once', async () => {
  // Every other request fails as a broker outage would.
  const reader = new ScriptedReader(12, (_parts, call) => (call % 2 === 0 ? new KafkaLogError('broker unreachable', { retriable: true }) : undefined));
  const f = fetcher(reader);
  const got = await collect(f, 't', 0, 12, new AbortController().signal);
  assert.equal(got.error, undefined);
  assert.deepEqual(got.offsets, Array.from({ length: 12 }, (_, i) => i));
  f.close();
});

test('transient failures past maxElapsedMs end the follow with a give-up error naming it', async () => {
  const reader = new ScriptedReader(3, () => new KafkaLogError('broker unreachable', { retriable: true }));
  const f = fetcher(reader, 60);
  const got = await collect(f, 't', 2, 1, new AbortController().signal);
  assert.match(String(got.error?.message), /^follow t\/2: gave up after \d+ attempts in \d+ ms: .*broker unreachable/);
  f.close();
});

test('one request in flight at a time, every follow in it; an abort ends only that follow, close() ends the rest', async () => {
  let inFlight = 0;
  let most = 0;
  const reader = new ScriptedReader(0, () => undefined);
  const fetchMany = reader.fetchMany.bind(reader);
  reader.fetchMany = async (...args) => {
    most = Math.max(most, ++inFlight);
    try {
      return await fetchMany(...args);
    } finally {
      inFlight--;
    }
  };
  const f = fetcher(reader);
  const one = new AbortController();
  const all = new AbortController();
  const follows = [collect(f, 'a', 0, 1, one.signal), collect(f, 'a', 1, 1, all.signal), collect(f, 'b', 0, 1, all.signal)];
  try {
    await waitFor(() => `a request with all three partitions (requests: ${reader.requests.map((r) => r.length).join(', ')})`, () => reader.requests.some((r) => r.length === 3), { timeoutMs: 5_000 });
    one.abort();
    assert.deepEqual(await follows[0], { offsets: [] });
    await waitFor(() => 'a request without the aborted follow', () => (reader.requests.at(-1)?.length ?? 0) === 2, { timeoutMs: 5_000 });
  } finally {
    // Also on a failure: follows left polling would keep the test's process alive.
    f.close();
  }
  assert.deepEqual(await Promise.all(follows.slice(1)), [{ offsets: [] }, { offsets: [] }]);
  assert.equal(most, 1);
});

test('state() shows each follow where it stands: its next offset, and none left once the follow ends', async () => {
  const reader = new ScriptedReader(3, () => undefined);
  const f = fetcher(reader);
  const ac = new AbortController();
  const got = await collect(f, 't', 1, 3, ac.signal);
  assert.deepEqual(got.offsets, [0, 1, 2]);
  assert.deepEqual(f.state().follows, [], 'the follow ended when its consumer stopped');
  const follow = f.follow('u', 0, 0, ac.signal)[Symbol.asyncIterator]();
  await follow.next();
  await waitFor(() => `the follow of u/0 to be fetched up to 3: ${JSON.stringify(f.state())}`, () => f.state().follows.some((s) => s.name === 'u/0' && s.next === 3));
  const s = f.state();
  assert.equal(s.follows.length, 1);
  assert.equal(s.planning || s.busy.length > 0 || s.wakeInMs !== null || s.follows[0]!.waiting, true, 'an idle follow is either in a fetch, planned, waiting to be woken, or waiting for records');
  await follow.return?.();
  f.close();
});

test('an idle follow keeps polling when the clock passes its notBefore while a plan runs (the lost wake-up)', async () => {
  // A clock that moves 1 ms at every reading: after an empty fetch the follow's notBefore is
  // idleMs (2) ahead; the plan that follows reads the clock once to judge it (not due yet) and
  // again before arming the wake-up, by when it is due. Judged at the second reading, no wake-up
  // was armed and nothing else would start a fetch: the follow stalled after its first poll.
  let t = 1_000_000;
  const stepping = (): number => t++;
  const reader = new ScriptedReader(0, () => undefined);
  const f = new FollowFetcher(reader as unknown as PartitionReader, { maxWaitMs: 5, idleMs: 2, maxBytes: 1 << 20, backoff: { initialMs: 5, maxMs: 20, maxElapsedMs: 10_000 } }, silentLogger(), Math.random, stepping);
  const ac = new AbortController();
  const follow = f.follow('t', 0, 0, ac.signal)[Symbol.asyncIterator]();
  const pending = follow.next();
  try {
    await waitFor(() => `ten polls of the empty partition (${reader.requests.length} so far): ${JSON.stringify(f.state())}`, () => reader.requests.length >= 10, { timeoutMs: 5_000 });
  } finally {
    ac.abort();
    await pending;
    f.close();
  }
});

test('follows whose idle pauses began in different fetches join one fetch (they do not alternate between two)', async () => {
  // A clock that moves by the broker's wait when a fetch is answered (the fetch itself takes no
  // real time here), and by the real time otherwise: a fetch's end and the next plan fall in the
  // same millisecond, as on a fast machine. The first fetch takes a/0 alone (the other follows
  // register while it is planned); a/0's idle pause then ends 1 ms after the fetch of a/1 and b/0
  // begins. Before, that pause kept it out of that fetch, and the next fetch out of phase again:
  // {a/0}, {a/1, b/0}, {a/0}, ... (1, 2, 1, 2, 1, 2 here) until a millisecond tick happened to
  // fall between a fetch's end and the next plan.
  let t = 5_000_000;
  const t0 = performance.now();
  const clock = (): number => t + Math.floor(performance.now() - t0);
  const requests: FetchPart[][] = [];
  const reader = {
    leaderId: async (): Promise<number> => 1,
    fetchMany: async (_node: number, parts: readonly FetchPart[], maxWaitMs: number): Promise<Fetched[]> => {
      requests.push([...parts]);
      await new Promise((r) => setImmediate(r));
      t += maxWaitMs;
      return parts.map(({ offset }) => ({ records: [], nextOffset: offset }));
    },
  };
  const f = new FollowFetcher(reader as unknown as PartitionReader, { maxWaitMs: 20, idleMs: 1, maxBytes: 1 << 20, backoff: { initialMs: 5, maxMs: 20, maxElapsedMs: 10_000 } }, silentLogger(), Math.random, clock);
  const ac = new AbortController();
  const follows = [collect(f, 'a', 0, 1, ac.signal), collect(f, 'a', 1, 1, ac.signal), collect(f, 'b', 0, 1, ac.signal)];
  try {
    await waitFor(() => `six fetches (${requests.length} so far)`, () => requests.length >= 6, { timeoutMs: 5_000 });
    const sizes = requests.slice(0, 6).map((r) => r.length);
    assert.deepEqual(sizes.slice(1), [3, 3, 3, 3, 3], `partitions per fetch: ${sizes.join(', ')}`);
  } finally {
    ac.abort();
    f.close();
    await Promise.all(follows);
  }
});
