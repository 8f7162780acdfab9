import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { InputEvent } from '../../processors/types.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { workerFlags } from '../../lib/worker-flags.ts';
import { MergedReader, type TopicDecoder } from '../merged-reader.ts';
import { handoffBuffers, HandoffMerge, type HandoffWaits } from './input-handoff.ts';
import type { FromReader, ReaderBoot, ReaderCursor, ReaderWorkerData, ToReader, TradeDecoding } from './reader-worker.ts';

export const readerThread = { workerUrl: new URL('./reader-worker-boot.mjs', import.meta.url) };

export interface ThreadedDrainOptions {
  /** The embedded log (read here while the reader thread starts) and its directory (the thread opens it read-only). */
  log: EventLog;
  dir: string;
  topics: readonly string[];
  /** Decodes what this thread reads itself (the head start) and what the reader leaves undecoded (chains, candles, some trades). */
  decode: TopicDecoder;
  /** Chunks per partition and their size (tests make them small to cross chunk ends and BIG records). */
  ring?: number;
  chunkBytes?: number;
  /** The reader thread's live heap in MB, every 500,000 inputs (bench/measure.ts's memory run). */
  readerHeapMb?: number[];
  /** Filled with the hand-off's waits once the replay has read everything through the reader thread. */
  waits?: HandoffWaits;
  /** Which thread decodes the trades (reader-worker.ts TradeDecoding; default 'balance'). */
  decodeTrades?: TradeDecoding;
  /** How the reader thread loads its modules: 'bundle' (default; through tsx if the bundle fails) or 'tsx' (reader-worker-boot.mjs). */
  boot?: ReaderBoot;
  /**
   * Inputs read here between two looks at whether the reader thread is ready (default 20,000);
   * 0: none read here, the reader thread reads the whole log (tests).
   */
  slice?: number;
}

/**
 * Replay's reader on its own thread (decisions.md D169): a worker reads every input partition into
 * a ring per partition (input-handoff.ts), decoding the trades unless this thread has waited for
 * it (D173), while this thread decodes the rest, merges everything in the merge order and runs the
 * graph (D172). Until the worker has loaded its modules and opened the log (~0.25-0.29 s, D175), this
 * thread reads itself, in slices, with the merged reader;
 * then the worker starts at the cut this thread's reader reached (MergedReader.positions, the
 * same cut a checkpoint makes) and reads the rest.
 *
 * `emit` gets exactly the sequence MergedReader.drain(Infinity) gives, trades in reused objects
 * (reuseTrades). Resolves with the count once every input is emitted and the reader thread has
 * ended; rejects with the reader's failure, or with `emit`'s error after stopping the reader.
 */
export async function threadedDrain(opts: ThreadedDrainOptions, emit: (e: InputEvent) => void): Promise<number> {
  // The merge cursors, in MergedReader's order: each topic's partitions, topic by topic.
  // Every partition is read by the worker: this thread, running the graph, is the busier one
  // (docs/benchmarks.md, eleventh round), so it only decodes what the worker leaves to it.
  const cursors: ReaderCursor[] = [];
  for (let rank = 0; rank < opts.topics.length; rank++) {
    const n = await opts.log.partitions(opts.topics[rank] as string);
    for (let partition = 0; partition < n; partition++) cursors.push({ rank, partition });
  }
  const buffers = handoffBuffers(cursors.length, opts.ring, opts.chunkBytes);
  const merge = new HandoffMerge(buffers, cursors, opts.topics, opts.decode);
  const startedAt = performance.now();
  // Not this process's module hooks (lib/worker-flags.ts): the boot script loads the modules itself.
  const worker = new Worker(readerThread.workerUrl, { execArgv: workerFlags(), workerData: { dir: opts.dir, boot: opts.boot ?? 'bundle', decodeTrades: opts.decodeTrades ?? 'balance', heapSamples: opts.readerHeapMb !== undefined, topics: opts.topics, cursors, buffers } satisfies ReaderWorkerData });
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
    merge.fail(err);
  };
  // A function, so the compiler sees `failure` as the callbacks may have set it.
  const check = (): void => {
    if (failure !== null) throw failure;
  };
  worker.on('message', (m: FromReader) => {
    if (m.t === 'ready') {
      ready = true;
      if (opts.waits) {
        opts.waits.readyMs = performance.now() - startedAt;
        opts.waits.boot = m.boot;
      }
      onReady();
    } else if (m.t === 'big') merge.addBig(m.id, m.bytes);
    else if (m.t === 'heap') opts.readerHeapMb?.push(m.mb);
    else if (m.t === 'done') {
      finished = true;
      if (opts.waits) opts.waits.reader = m.waits;
    }
    else fail(Object.assign(new Error(`replay's reader thread: ${m.message}`), m.stack !== undefined ? { readerStack: m.stack } : {}));
  });
  worker.on('error', (err) => fail(new Error(`replay's reader thread: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => {
    if (!finished) fail(new Error(`replay's reader thread exited (code ${code}) before the end of the log`));
    exited();
  });
  // Stops the worker, once it has loaded its modules (or failed, or exited). Terminating a worker
  // while it loads lmdb's native addon (or exiting the process then, which terminates it too)
  // aborts the whole process: "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw" from
  // the addon's registration (seen once in CI: walk-forward, whose first replay can end in the
  // head start, then a usage error's exit). So a replay never returns or throws with its worker
  // still loading.
  const stopWorker = async (): Promise<void> => {
    await readyOrFailed;
    await worker.terminate();
  };
  let n = 0;
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
      const got = await own.drain(Number.POSITIVE_INFINITY, emit, slice);
      n += got;
      if (got < slice) {
        // All read here: the reader thread is not needed.
        await stopWorker();
        return n;
      }
      // Lets the worker's 'ready' message in (drain's reads resolve as microtasks only).
      await yieldToEvents();
    }
    const at = new Map(own.positions().map((p) => [`${opts.topics.indexOf(p.topic)}/${p.partition}`, p.offset]));
    worker.postMessage({ t: 'start', from: cursors.map((c) => at.get(`${c.rank}/${c.partition}`) ?? 0) } satisfies ToReader);
    n += await merge.run(emit);
    if (opts.waits) opts.waits.graph = merge.waits;
    await ended;
    check();
    return n;
  } catch (e) {
    merge.cancel();
    await stopWorker();
    throw e;
  }
}
