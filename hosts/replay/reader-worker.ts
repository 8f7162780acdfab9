// Replay's reader thread (reader-thread.ts, decisions.md D169): opens the embedded log read-only,
// runs the merged reader (lmdb reads, decode, merge order) and hands every input to the graph's
// thread through shared chunks (input-handoff.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { openEmbeddedLog } from '../../storage/log/open-log.ts';
import type { LogRecord } from '../../storage/log/event-log.ts';
import { MergedReader } from '../merged-reader.ts';
import { HandoffCancelled, HandoffWriter, type HandoffBuffers } from './input-handoff.ts';

export interface ReaderWorkerData {
  dir: string;
  topics: readonly string[];
  buffers: HandoffBuffers;
}

/** What the reader thread posts: ready (log open), a BIG record's bytes, its end, or its failure. */
export type FromReader = { t: 'ready' } | { t: 'big'; bytes: Uint8Array } | { t: 'done'; inputs: number } | { t: 'failed'; message: string; stack?: string };

/** Where the reader thread starts: the next offset per `topic/partition` (MergedReader.startAt). */
export interface ToReader {
  t: 'start';
  positions: [string, number][];
}

export async function serveReader(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('reader-worker.ts runs in a worker thread');
  const data = workerData as ReaderWorkerData;
  const post = (m: FromReader): void => port.postMessage(m);
  let inputs = 0;
  try {
    const embedded = await openEmbeddedLog(data.dir, { readOnly: true });
    try {
      const rank = new Map(data.topics.map((t, i) => [t, i]));
      const writer = new HandoffWriter(data.buffers, (t) => rank.get(t) as number, (bytes) => post({ t: 'big', bytes }));
      // The graph's thread keeps nothing of an input (the reader never sees the graph), so trades
      // are decoded into reused objects as replayLog's in-thread reader does.
      const reader = new MergedReader(embedded.log, (topic, bytes, reuse) => embedded.serde.decodeAs(topic, bytes, reuse), data.topics, undefined, { reuseTrades: true });
      // The graph's thread reads in its own thread while this one starts, then says where it is.
      const start = new Promise<ToReader>((resolve) => port.once('message', resolve));
      post({ t: 'ready' });
      await reader.startAt(new Map((await start).positions));
      // The position of every merged input is its stored record (MergedReader's toInput): the
      // value is what a chain or candle crosses as.
      inputs = await reader.drain(Number.POSITIVE_INFINITY, (e) => writer.write(e, (e.pos as LogRecord).value));
      writer.finish();
    } finally {
      await embedded.close();
    }
    post({ t: 'done', inputs });
  } catch (e) {
    if (e instanceof HandoffCancelled) return;
    post({ t: 'failed', message: (e as Error).message, ...((e as Error).stack !== undefined ? { stack: (e as Error).stack as string } : {}) });
  }
}
