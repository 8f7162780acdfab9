/**
 * Helpers for tests of `tickflow run processors` (a consumer group on Kafka): watching the member
 * processes, waiting for the group to catch up, and the two sides of the parity check (the
 * signals on Kafka, and an embedded replay of the same log with the same model).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { loadPredictor } from '../../../model/predictor.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import { featureSetByHash, graphConfigFor } from '../../../processors/graph.ts';
import { INPUT_TOPICS } from '../../../replay/merged-reader.ts';
import { replayLog } from '../../../replay/run-replay.ts';
import type { Signal } from '../../../schemas/index.ts';
import { openKafkaLog } from '../../../streams/kafka/open-kafka-log.ts';
import { openEmbeddedLog } from '../../../streams/log/open-log.ts';

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

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(200);
  }
}

/** The group's committed offsets over the input topics (sum) and how far they are behind the ends. */
export async function groupLag(brokers: string[], groupId: string): Promise<{ committed: number; lag: number }> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId, topics: [...INPUT_TOPICS] });
    let committed = 0;
    let lag = 0;
    for (const topic of INPUT_TOPICS) {
      for (const end of await admin.fetchTopicOffsets(topic)) {
        const c = Math.max(0, Number(offsets.find((x) => x.topic === topic)?.partitions.find((x) => x.partition === end.partition)?.offset ?? -1));
        committed += c;
        lag += Number(end.high) - c;
      }
    }
    return { committed, lag };
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group's committed offsets equal the end offsets of every input partition. */
export async function caughtUp(brokers: string[], groupId: string, timeoutMs = 120_000): Promise<void> {
  let lag = -1;
  await until(async () => (lag = (await groupLag(brokers, groupId)).lag) === 0, timeoutMs, () => `group ${groupId} caught up (lag ${lag})`);
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
 * The signals on Kafka per partition, in offset order, read as KafkaEventLog reads (read_committed:
 * records of aborted transactions are not seen), from `from[p]` on; and the ids seen more than once.
 * Plain objects, as replaySignals returns: two serdes decode to different record classes, which
 * deepStrictEqual tells apart.
 */
export async function readSignals(brokers: string[], from: number[] = []): Promise<{ byPartition: Signal[][]; duplicateIds: string[] }> {
  const k = await openKafkaLog({ brokers });
  try {
    const byPartition: Signal[][] = [];
    const seen = new Set<string>();
    const duplicateIds: string[] = [];
    for (let p = 0; p < (await k.log.partitions('signals')); p++) {
      const list: Signal[] = [];
      for await (const batch of k.log.read('signals', p, { fromOffset: from[p] ?? 0 })) {
        for (const r of batch) {
          const s = k.serde.decodeAs<Signal>('signals', r.value);
          if (seen.has(s.id)) duplicateIds.push(s.id);
          seen.add(s.id);
          list.push(structuredClone(s));
        }
      }
      byPartition.push(list);
    }
    return { byPartition, duplicateIds };
  } finally {
    await k.close();
  }
}

/** The signals of an embedded replay of the log in `logDir` with the model in `modelDir`, in replay order, in the shape the serde decodes. */
export async function replaySignals(logDir: string, modelDir: string): Promise<Signal[]> {
  const el = await openEmbeddedLog(logDir);
  try {
    const predictor = await loadPredictor(modelDir);
    const signals: Signal[] = [];
    const sink = { onEvent: (e: GraphEvent) => void (e.kind === 'signal' && signals.push(e.signal)) };
    await replayLog({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), predictor, config: graphConfigFor(featureSetByHash(predictor.featureSetHash)), sinks: [sink] });
    // Through the serde, as the members' outputs went: the values readSignals decodes.
    return signals.map((s) => structuredClone(el.serde.decodeAs<Signal>('signals', el.serde.encode('signals', s))));
  } finally {
    await el.close();
  }
}
