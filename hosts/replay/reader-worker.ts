// Replay's reader thread (reader-thread.ts, decisions.md D169): opens the embedded log read-only,
// reads every input partition from where the graph's thread says, as stored frames (no record
// objects, D173), decodes the trades of a batch unless the graph's thread has been waiting for
// it, and writes each partition's records into its ring (input-handoff.ts); the graph's thread
// decodes the rest (chains, candles) and merges.
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openEmbeddedLog } from '../../storage/log/open-log.ts';
import type { LmdbEventLog } from '../../storage/log/lmdb-event-log.ts';
import { StoredFrames } from '../../storage/log/stored-record.ts';
import type { Serde } from '../../storage/serde/serde.ts';
import type { Trade } from '../../schemas/index.ts';
import { BATCH, nextBatchOf } from '../merged-reader.ts';
import { HandoffWriter, type HandoffBuffers, type WaitTotal } from './input-handoff.ts';

/** One input partition this thread reads: a merge cursor (its topic's rank, the partition). */
export interface ReaderCursor {
  rank: number;
  partition: number;
}

/**
 * Who decodes the trades of a batch (256 records): 'balance' (the default) this thread, unless
 * the graph's thread has waited for a chunk since this thread's previous read (then the graph's
 * thread); 'reader' or 'graph' always; 'alternate' batch by batch (tests: both kinds in one
 * partition's chunks).
 */
export type TradeDecoding = 'balance' | 'reader' | 'graph' | 'alternate';

export interface ReaderWorkerData {
  dir: string;
  /** How reader-worker-boot.mjs is to load this module: bundled by esbuild (through tsx if that fails), or through tsx. */
  boot: ReaderBoot;
  /** Post this thread's live heap every HEAP_EVERY inputs (after a collection when gc is exposed). */
  heapSamples: boolean;
  decodeTrades: TradeDecoding;
  topics: readonly string[];
  cursors: readonly ReaderCursor[];
  buffers: HandoffBuffers;
}

/** What the reader thread posts: ready (log open), a BIG record's bytes, its end, or its failure. */
export type FromReader = { t: 'ready'; boot: ReaderBoot } | { t: 'big'; id: number; bytes: Uint8Array } | { t: 'heap'; mb: number } | { t: 'done'; inputs: number; waits: WaitTotal } | { t: 'failed'; message: string; stack?: string };

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

/**
 * A partition being read: its records read (as stored frames, D173) but not yet written, and the
 * next offset to read.
 */
class PartitionReader {
  private readonly frames: StoredFrames;
  /** frames' current record is read and not yet written. */
  private current = false;
  /** Records and value bytes of the current read, for the size of the next (nextBatchOf). */
  private records = 0;
  private bytes = 0;
  private batch = BATCH;
  /** The trade the direct reader decodes into (writeTrade copies its numbers). */
  private spare: Trade | undefined = undefined;
  done = false;
  /** This batch's trades are decoded here (set at each read, see serveReader). */
  decodes = false;

  constructor(
    private readonly log: LmdbEventLog,
    private readonly serde: Serde,
    readonly topic: string,
    readonly partition: number,
    private fetchOffset: number,
  ) {
    this.frames = new StoredFrames(topic, partition);
  }

  /** The current record (frames' spans), moving to the next when the last was written; null when this read's are used up (refill). */
  record(): StoredFrames | null {
    return this.current ? this.frames : this.advance();
  }

  /** The current record as a trade, by the direct reader; undefined when it must cross as stored (the graph's side decodes it). */
  trade(): Trade | undefined {
    const f = this.frames;
    const t = this.serde.decodeDirect<Trade>(this.topic, f.bytes, f.valueStart, f.valueEnd, this.spare);
    if (t !== undefined) this.spare = t;
    return t;
  }

  /** Reads the partition's next records; the first is then the current record (null at the partition's end). */
  refill(): StoredFrames | null {
    if (this.records > 0) this.batch = nextBatchOf(this.records, this.bytes);
    this.records = 0;
    this.bytes = 0;
    this.log.readFrames(this.topic, this.partition, this.fetchOffset, this.fetchOffset + this.batch, this.frames);
    return this.advance();
  }

  /** The current record was written (decoded or as it is). */
  written(): void {
    this.current = false;
  }

  /** Moves to the read's next record, which becomes the current one; null when the read is used up. */
  private advance(): StoredFrames | null {
    const f = this.frames;
    if (!f.next()) return null;
    this.current = true;
    this.records++;
    this.bytes += f.valueEnd - f.valueStart;
    // After the last record read, by offset (as readPartition).
    this.fetchOffset = f.offset + 1;
    return f;
  }
}

/** How the thread's modules were loaded (reader-worker-boot.mjs): bundled by esbuild, or through tsx. */
export type ReaderBoot = 'bundle' | 'tsx';

/** The thread's work; `boot` says how reader-worker-boot.mjs loaded this module (reported with 'ready'). */
export async function serveReader(boot: ReaderBoot): Promise<void> {
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
      // The graph's thread reads in its own thread while this one starts, then says where it is.
      const start = new Promise<ToReader>((resolve) => port.once('message', resolve));
      post({ t: 'ready', boot });
      const from = (await start).from;
      const parts = data.cursors.map((c, i) => new PartitionReader(embedded.log, embedded.serde, data.topics[c.rank] as string, c.partition, from[i] as number));
      let open = parts.length;
      let lastTurn = 0;
      // The graph side's waits for a chunk as of the previous read (the balance rule).
      let seenGraphWaits = 0;
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
            let rec = p.record();
            if (rec === null) {
              rec = p.refill();
              if (rec !== null) {
                // Who decodes this batch of trades: here, unless the graph's side has waited for a
                // chunk since the previous read (this thread is behind: the graph's side takes
                // them). Either gives the same inputs; this balances the threads.
                const mode = data.decodeTrades;
                const graphWaits = writer.graphWaits();
                const starved = graphWaits !== seenGraphWaits;
                seenGraphWaits = graphWaits;
                p.decodes = p.topic !== 'trades' ? false : mode === 'balance' ? !starved : mode === 'reader' || (mode === 'alternate' && !p.decodes);
              } else {
                if (writer.end(c)) {
                  p.done = true;
                  open--;
                }
                break;
              }
            }
            // A trade the direct reader decodes crosses as numbers; anything else (chains, candles,
            // trades left to the graph's side, a trade out of the direct reader's common case) as
            // its stored record, which the graph's side decodes (or finds undecodable).
            const t = p.decodes ? p.trade() : undefined;
            if (!(t !== undefined ? writer.writeTrade(c, t, rec.offset) : writer.writeFrame(c, rec))) break;
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
