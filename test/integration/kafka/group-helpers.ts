/**
 * Helpers for tests of `tickflow run processors` (a consumer group on Kafka): watching the member
 * processes, waiting for the group to catch up, and the two sides of the parity check (the
 * outputs on Kafka, and an embedded replay of the same log with the same model).
 */
import type { ChildProcess } from 'node:child_process';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { sleep } from '../../../lib/sleep.ts';
import { loadPredictor } from '../../../model/predictor.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import { featureSetByHash, graphConfigFor } from '../../../processors/graph.ts';
import { INPUT_TOPICS } from '../../../hosts/merged-reader.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { openKafkaLog, type KafkaLog } from '../../../storage/kafka/open-kafka-log.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { waitFor } from '../../helpers/wait-for.ts';

export interface Watched {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** Collects a child's output as it comes (a full pipe would block it). */
export function watch(proc: ChildProcess): Watched {
  const m: Watched = { proc, stdout: '', stderr: '', exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) };
  proc.stdout?.on('data', (d: Buffer) => (m.stdout += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (m.stderr += d.toString()));
  return m;
}

/** waitFor (test/helpers/wait-for.ts) polling every 200 ms (or `intervalMs`): these checks start processes or ask a broker. */
export function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string), intervalMs = 200): Promise<void> {
  return waitFor(what, check, { timeoutMs, intervalMs });
}

/**
 * One admin client kept connected across the polls of a test (groupLag, caughtUp, describeGroups)
 * instead of a new one per poll: a poll with a new client (connect, ApiVersions, Metadata, then
 * the requests) cost about 53 ms of CPU, half of it the broker's; with a kept one about 25 ms
 * (decisions D143). Dropped after any error (a killed or restarted broker), so that the next poll
 * connects afresh, as a new client per poll did.
 */
export class PollingAdmin {
  private admin: Promise<Admin> | undefined;
  constructor(private readonly brokers: string[]) {}

  async use<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = (this.admin ??= (async () => {
      const a = new Kafka({ brokers: this.brokers, logLevel: logLevel.NOTHING }).admin();
      await a.connect();
      return a;
    })());
    try {
      return await fn(await admin);
    } catch (e) {
      if (this.admin === admin) this.admin = undefined;
      void admin.then((a) => a.disconnect()).catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }
}

/** One input topic-partition: the group's committed offset (0 when none) and the end offset. */
export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  end: number;
}

/** The group's committed offsets over the input topics (sum) and how far they are behind the ends, in total and per topic-partition. */
export async function groupLag(brokers: string[], groupId: string, poller?: PollingAdmin): Promise<{ committed: number; lag: number; partitions: PartitionLag[] }> {
  // A real broker answers "coordinator loading" (retriable) while it loads the offsets partition.
  for (let attempt = 1; ; attempt++) {
    try {
      return await (poller ? poller.use((admin) => groupLagWith(admin, groupId)) : groupLagOnce(brokers, groupId));
    } catch (e) {
      if ((e as { retriable?: boolean }).retriable !== true || attempt >= 50) throw e;
      await sleep(200); // a retry's pause, not a wait for a condition
    }
  }
}

async function groupLagOnce(brokers: string[], groupId: string): Promise<{ committed: number; lag: number; partitions: PartitionLag[] }> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await groupLagWith(admin, groupId);
  } finally {
    await admin.disconnect();
  }
}

async function groupLagWith(admin: Admin, groupId: string): Promise<{ committed: number; lag: number; partitions: PartitionLag[] }> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [...INPUT_TOPICS] });
  let committed = 0;
  let lag = 0;
  const partitions: PartitionLag[] = [];
  for (const topic of INPUT_TOPICS) {
    for (const end of await admin.fetchTopicOffsets(topic)) {
      const c = Math.max(0, Number(offsets.find((x) => x.topic === topic)?.partitions.find((x) => x.partition === end.partition)?.offset ?? -1));
      committed += c;
      lag += Number(end.high) - c;
      partitions.push({ topic, partition: end.partition, committed: c, end: Number(end.high) });
    }
  }
  partitions.sort((a, b) => a.partition - b.partition || a.topic.localeCompare(b.topic));
  return { committed, lag, partitions };
}

/** `trades/0 1200/1500 (lag 300)` per input topic-partition with inputs: for diagnostics. */
export function describeLag(partitions: PartitionLag[]): string {
  return partitions.filter((x) => x.end > 0).map((x) => `${x.topic}/${x.partition} ${x.committed}/${x.end}${x.end > x.committed ? ` (lag ${x.end - x.committed})` : ''}`).join(', ');
}

/**
 * Waits until the group's committed offsets equal the end offsets of every input partition. On
 * timeout it says the lag per topic-partition, and `owners()` (if given: who holds which partition).
 */
export async function caughtUp(brokers: string[], groupId: string, timeoutMs = 120_000, owners?: () => string, poll?: { poller: PollingAdmin; intervalMs: number }): Promise<void> {
  let lag = -1;
  let partitions: PartitionLag[] = [];
  let lastError = '';
  await until(
    async () => {
      try {
        ({ lag, partitions } = await groupLag(brokers, groupId, poll?.poller));
        return lag === 0;
      } catch (e) {
        // A refused connection is "not yet" while a broker of the list is down (the one-of-three
        // scenario kills one): the admin client may pick it first; anything else fails at once.
        if (!/ECONNREFUSED|Connection error|KafkaJSNumberOfRetriesExceeded/.test(String((e as Error).message ?? e))) throw e;
        lastError = (e as Error).message;
        return false;
      }
    },
    timeoutMs,
    () => `group ${groupId} caught up (lag ${lag}: ${describeLag(partitions)}${owners ? `; ${owners()}` : ''}${lastError === '' ? '' : `; last error: ${lastError}`})`,
    poll?.intervalMs,
  );
}

/** Per partition: the end offsets of `topic` now (where a later read should start). */
export async function endOffsets(brokers: string[], topic: string): Promise<number[]> {
  const k = await openKafkaLog({ brokers });
  try {
    const ends: number[] = [];
    for (let p = 0; p < (await k.log.partitions(topic)); p++) ends.push(await k.log.endOffset(topic, p));
    return ends;
  } finally {
    await k.close();
  }
}

/**
 * The records of `topic` on Kafka per partition, in offset order, read as KafkaEventLog reads
 * (read_committed: records of aborted transactions are not seen), from `from[p]` on; and the ids
 * seen more than once. Plain objects, as replayOutputs returns: two serdes decode to different
 * record classes, which deepStrictEqual tells apart.
 */
export async function readTopic<T>(brokers: string[], topic: string, id: (v: T) => string, from: number[] = []): Promise<{ byPartition: T[][]; duplicateIds: string[] }> {
  const k = await openKafkaLog({ brokers });
  try {
    const byPartition: T[][] = [];
    const seen = new Set<string>();
    const duplicateIds: string[] = [];
    for (let p = 0; p < (await k.log.partitions(topic)); p++) {
      const list: T[] = [];
      for await (const batch of k.log.read(topic, p, { fromOffset: from[p] ?? 0 })) {
        for (const r of batch) {
          const v = k.serde.decodeAs<T>(topic, r.value);
          if (seen.has(id(v))) duplicateIds.push(id(v));
          seen.add(id(v));
          list.push(structuredClone(v));
        }
      }
      byPartition.push(list);
    }
    return { byPartition, duplicateIds };
  } finally {
    await k.close();
  }
}

export const signalId = (s: Signal): string => s.id;
/** A bar's deterministic id (sinks/clickhouse/derived-rows.ts). */
export const barId = (b: Bar): string => `${b.symbol}|${b.interval}|${b.end}`;

/**
 * The signals and bars of an embedded replay of the log in `logDir` with the model in `modelDir`,
 * in replay order, in the shape the serde decodes (as readTopic returns them).
 */
export async function replayOutputs(logDir: string, modelDir: string): Promise<{ signals: Signal[]; bars: Bar[] }> {
  const el = await openEmbeddedLog(logDir);
  try {
    const predictor = await loadPredictor(modelDir);
    const events: GraphEvent[] = [];
    await replayLog({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), predictor, config: graphConfigFor(featureSetByHash(predictor.featureSetHash)), sinks: [{ onEvent: (e) => void events.push(e) }] });
    // Through the serde, as the members' outputs went.
    const wire = <T>(topic: string, v: object): T => structuredClone(el.serde.decodeAs<T>(topic, el.serde.encode(topic, v)));
    return {
      signals: events.flatMap((e) => (e.kind === 'signal' ? [wire<Signal>('signals', e.signal)] : [])),
      bars: events.flatMap((e) => (e.kind === 'bar' ? [wire<Bar>('bars', e.bar)] : [])),
    };
  } finally {
    await el.close();
  }
}

/** The inputs on Kafka now: the sum of the input partitions' end offsets. */
export async function inputCount(k: KafkaLog): Promise<number> {
  let n = 0;
  for (const topic of ['trades', 'options', 'candles']) {
    if (!(await k.log.topics()).includes(topic)) continue;
    for (let p = 0; p < (await k.log.partitions(topic)); p++) n += await k.log.endOffset(topic, p);
  }
  return n;
}
