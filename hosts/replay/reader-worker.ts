// Replay's reader thread (reader-thread.ts, decisions.md D169): opens the embedded log read-only,
// reads every input partition from where the graph's thread says, decodes the trades of a batch
// when the graph's thread is behind, and writes each partition's records into its ring
// (input-handoff.ts); the graph's thread decodes the rest (chains, candles) and merges.
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openEmbeddedLog } from '../../storage/log/open-log.ts';
import type { EventLog, LogRecord } from '../../storage/log/event-log.ts';
import type { InputEvent } from '../../processors/types.ts';
import { BATCH, nextBatch, readPartition, recordToInput, type TopicDecoder } from '../merged-reader.ts';
import { HandoffWriter, type HandoffBuffers, type WaitTotal } from './input-handoff.ts';

/** One input partition this thread reads: a merge cursor (its topic's rank, the partition). */
export interface ReaderCursor {
  rank: number;
  partition: number;
}

/**
 * Who decodes the trades of a batch (256 records): 'balance' (the default) this thread when the
 * partition's ring is over half full, else the graph's thread; 'reader' or 'graph' always;
 * 'alternate' batch by batch (tests: both kinds in one partition's chunks).
 */
export type TradeDecoding = 'balance' | 'reader' | 'graph' | 'alternate';

export interface ReaderWorkerData {
  dir: string;
  /** Post this thread's live heap every HEAP_EVERY inputs (after a collection when gc is exposed). */
  heapSamples: boolean;
  decodeTrades: TradeDecoding;
  topics: readonly string[];
  cursors: readonly ReaderCursor[];
  buffers: HandoffBuffers;
}

/** What the reader thread posts: ready (log open), a BIG record's bytes, its end, or its failure. */
export type FromReader = { t: 'ready' } | { t: 'big'; id: number; bytes: Uint8Array } | { t: 'heap'; mb: number } | { t: 'done'; inputs: number; waits: WaitTotal } | { t: 'failed'; message: string; stack?: string };

/** Inputs between two samples of this thread's heap (heapSamples). */
const HEAP_EVERY = 500_000;

/**
 * Inputs between two turns of this thread's event loop. The loop below otherwise only ever awaits
 * microtasks (the log's reads resolve at once) or blocks in Atomics.wait, and what runs on the
 * event loop's turns (finalizers, lmdb-js's deferred work) never did: the thread's heap after a
 * full collection grew by ~0.85 bytes per input (12 to 16 MB over the 31-day bench log); with a
 * turn every 50,000 inputs it stays at 12 MB (docs/benchmarks.md, ninth round).
 */
const YIELD_EVERY = 50_000;

/** Where the reader thread starts: the next offset of each of its cursors (MergedReader.positions), in their order. */
export interface ToReader {
  t: 'start';
  from: number[];
}

/** A partition being read: its records read but not yet written, and the next offset to read. */
class PartitionReader {
  raw: LogRecord[] = [];
  i = 0;
  batch = BATCH;
  /** The decoded input waiting for room in the ring (its record is raw[i]). */
  pending: InputEvent | null = null;
  spare: (InputEvent & { kind: 'trade' }) | null = null;
  done = false;
  /** This batch's trades are decoded here (set at each read, see serveReader). */
  decodes = false;

  constructor(
    private readonly log: EventLog,
    private readonly decode: TopicDecoder,
    readonly topic: string,
    readonly partition: number,
    private fetchOffset: number,
  ) {}

  /** The next record read and not yet written; undefined when they are used up (refill). */
  record(): LogRecord | undefined {
    return this.raw[this.i];
  }

  /** The next record decoded (record() must be defined): trades into the last trade written (reuseTrades). */
  decoded(): InputEvent {
    if (this.pending === null) {
      const spare = this.spare;
      this.spare = null;
      this.pending = recordToInput(this.raw[this.i] as LogRecord, this.decode, spare);
    }
    return this.pending;
  }

  /** Reads the partition's next records; false at its end. */
  async refill(): Promise<boolean> {
    const read = await readPartition(this.log, this.topic, this.partition, this.fetchOffset, this.fetchOffset + this.batch, this.batch);
    this.raw = read.records;
    this.i = 0;
    this.fetchOffset = read.next;
    if (this.raw.length === 0) return false;
    this.batch = nextBatch(this.raw);
    return true;
  }

  /** The next record was written (decoded or as it is). */
  written(): void {
    const e = this.pending;
    if (e !== null && e.kind === 'trade') this.spare = e;
    this.pending = null;
    this.i++;
  }
}

export async function serveReader(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('reader-worker.ts runs in a worker thread');
  const data = workerData as ReaderWorkerData;
  const post = (m: FromReader): void => port.postMessage(m);
  let inputs = 0;
  let waits: WaitTotal = { count: 0, ms: 0 };
  try {
    const embedded = await openEmbeddedLog(data.dir, { readOnly: true });
    try {
      const writer = new HandoffWriter(data.buffers, (id, bytes) => post({ t: 'big', id, bytes }));
      waits = writer.waits;
      const decode: TopicDecoder = (topic, bytes, reuse) => embedded.serde.decodeAs(topic, bytes, reuse);
      // The graph's thread reads in its own thread while this one starts, then says where it is.
      const start = new Promise<ToReader>((resolve) => port.once('message', resolve));
      post({ t: 'ready' });
      const from = (await start).from;
      const parts = data.cursors.map((c, i) => new PartitionReader(embedded.log, decode, data.topics[c.rank] as string, c.partition, from[i] as number));
      let open = parts.length;
      let lastTurn = 0;
      while (open > 0) {
        if (writer.cancelled) return;
        const seen = writer.released();
        // The emptiest ring with room gets the next chunk: the merge takes from every partition in
        // turn, so the emptiest is the one it will wait on first. Filling each ring to the full in
        // turn (before) left the merge waiting ~3 ms for a ring, ~95 times a replay, while the
        // other rings filled (docs/benchmarks.md, eleventh round).
        let c = -1;
        let least = Number.POSITIVE_INFINITY;
        for (let k = 0; k < parts.length; k++) {
          if ((parts[k] as PartitionReader).done || !writer.hasRoom(k)) continue;
          const full = writer.fullChunks(k);
          if (full < least) {
            least = full;
            c = k;
          }
        }
        if (c < 0) writer.waitRelease(seen);
        else {
          const p = parts[c] as PartitionReader;
          const chunk = writer.chunkBeingFilled(c);
          // Up to the end of the ring's chunk being filled (it is then published), or of the partition.
          while (writer.hasRoom(c) && writer.chunkBeingFilled(c) === chunk) {
            const rec = p.record();
            if (rec === undefined) {
              if (await p.refill()) {
                // Who decodes this batch of trades: here when the graph's side is behind (even the
                // emptiest ring is half full: this thread has time to spare), there when it is
                // ahead (waiting for chunks). Either gives the same inputs; this balances the threads.
                const mode = data.decodeTrades;
                p.decodes = p.topic !== 'trades' ? false : mode === 'balance' ? least * 2 >= data.buffers.ring : mode === 'reader' || (mode === 'alternate' && !p.decodes);
                continue;
              }
              if (writer.end(c)) {
                p.done = true;
                open--;
              }
              break;
            }
            // A decoded trade crosses as numbers; anything else (chains, candles, trades left to
            // the graph's side, a trade that does not decode) as its stored record.
            const e = p.decodes ? p.decoded() : null;
            if (!(e !== null && e.kind === 'trade' ? writer.writeTrade(c, e.value, rec.offset) : writer.writeRecord(c, rec))) break;
            p.written();
            if (++inputs % HEAP_EVERY === 0 && data.heapSamples) {
              (globalThis as { gc?: () => void }).gc?.();
              post({ t: 'heap', mb: process.memoryUsage().heapUsed / 2 ** 20 });
            }
          }
        }
        if (inputs - lastTurn >= YIELD_EVERY) {
          lastTurn = inputs;
          await yieldToEvents();
        }
      }
    } finally {
      await embedded.close();
    }
    post({ t: 'done', inputs, waits });
  } catch (e) {
    post({ t: 'failed', message: (e as Error).message, ...((e as Error).stack !== undefined ? { stack: (e as Error).stack as string } : {}) });
  }
}
