import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { InputEvent } from '../../processors/types.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { MergedReader, type TopicDecoder } from '../merged-reader.ts';
import { handoffBuffers, HandoffReader } from './input-handoff.ts';
import type { FromReader, ReaderWorkerData, ToReader } from './reader-worker.ts';

export const readerThread = { workerUrl: new URL('./reader-worker-boot.mjs', import.meta.url) };

export interface ThreadedDrainOptions {
  /** The embedded log (read here while the reader thread starts) and its directory (the thread opens it read-only). */
  log: EventLog;
  dir: string;
  topics: readonly string[];
  /** Decodes what this thread reads itself, and the option chains and candles (they cross as stored bytes). */
  decode: TopicDecoder;
  /** Chunks and their size (tests make them small to cross chunk ends and BIG records). */
  chunks?: number;
  chunkBytes?: number;
  /**
   * Inputs read here between two looks at whether the reader thread is ready (default 20,000);
   * 0: none read here, the reader thread reads the whole log (tests).
   */
  slice?: number;
}

/**
 * Replay's reader on its own thread (decisions.md D169): the merged reader runs in a worker
 * (reads, decode, merge order) while this thread runs the graph; inputs cross in shared chunks
 * (input-handoff.ts). Until the worker has loaded its modules and opened the log (~0.4 s), this
 * thread reads itself, in slices; then the worker starts at the cut this thread's reader reached
 * (MergedReader.positions, the same cut a checkpoint makes) and reads the rest.
 *
 * `emit` gets exactly the sequence MergedReader.drain(Infinity) gives, trades in reused objects
 * (reuseTrades). Resolves with the count once every input is emitted and the reader thread has
 * ended; rejects with the reader's failure, or with `emit`'s error after stopping the reader.
 */
export async function threadedDrain(opts: ThreadedDrainOptions, emit: (e: InputEvent) => void): Promise<number> {
  const buffers = handoffBuffers(opts.chunks, opts.chunkBytes);
  const handoff = new HandoffReader(buffers, opts.topics, opts.decode);
  const worker = new Worker(readerThread.workerUrl, { workerData: { dir: opts.dir, topics: opts.topics, buffers } satisfies ReaderWorkerData });
  const bigs: Uint8Array[] = [];
  let bigWaiter: (() => void) | null = null;
  let failure: Error | null = null;
  let ready = false;
  let onReady: () => void = () => undefined;
  const readyOrFailed = new Promise<void>((resolve) => (onReady = resolve));
  let finished = false;
  let exited: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (exited = resolve));
  const fail = (err: Error): void => {
    failure ??= err;
    onReady();
    handoff.wake();
    bigWaiter?.();
  };
  // A function, so the compiler sees `failure` as the callbacks may have set it.
  const check = (): void => {
    if (failure !== null) throw failure;
  };
  worker.on('message', (m: FromReader) => {
    if (m.t === 'ready') {
      ready = true;
      onReady();
    }
    else if (m.t === 'big') {
      bigs.push(m.bytes);
      bigWaiter?.();
    } else if (m.t === 'done') finished = true;
    else fail(Object.assign(new Error(`replay's reader thread: ${m.message}`), m.stack !== undefined ? { readerStack: m.stack } : {}));
  });
  worker.on('error', (err) => fail(new Error(`replay's reader thread: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => {
    if (!finished) fail(new Error(`replay's reader thread exited (code ${code}) before the end of the log`));
    exited();
  });
  let n = 0;
  const counted = (e: InputEvent): void => {
    n++;
    emit(e);
  };
  try {
    // The head start: read here until the reader thread is ready (or the log ends first).
    const own = new MergedReader(opts.log, opts.decode, opts.topics, undefined, { reuseTrades: true });
    const slice = opts.slice ?? 20_000;
    for (;;) {
      check();
      if (ready) break;
      if (slice === 0) {
        await readyOrFailed;
        continue;
      }
      if ((await own.drain(Number.POSITIVE_INFINITY, counted, slice)) < slice) {
        // All read here: the reader thread is not needed.
        await worker.terminate();
        return n;
      }
      // Lets the worker's 'ready' message in (drain's reads resolve as microtasks only).
      await yieldToEvents();
    }
    worker.postMessage({ t: 'start', positions: own.positions().map((p) => [`${p.topic}/${p.partition}`, p.offset]) } satisfies ToReader);
    let k = 0;
    for (;;) {
      while (!handoff.full(k)) {
        check();
        await handoff.waitFull(k);
      }
      check();
      let at = handoff.run(k, 0, counted);
      while (at >= 0) {
        while (bigs.length === 0) {
          check();
          await new Promise<void>((resolve) => (bigWaiter = resolve));
          bigWaiter = null;
        }
        at = handoff.run(k, handoff.big(k, at, bigs.shift() as Uint8Array, counted), counted);
      }
      handoff.release(k);
      if (at === -2) break;
      k = (k + 1) % buffers.chunks;
    }
    await ended;
    check();
    return n;
  } catch (e) {
    handoff.cancel();
    await worker.terminate();
    throw e;
  }
}
