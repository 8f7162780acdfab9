import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { PushSource } from '../../processors/push-source.ts';
import { runPipeline, type Clock, type GraphConfig, type PipelineSink } from '../../processors/graph.ts';
import { newGraphStats, type GraphStats } from '../../processors/graph-events.ts';
import type { InputEvent, Predictor } from '../../processors/types.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { LmdbEventLog } from '../../storage/log/lmdb-event-log.ts';
import { topicSize } from '../../storage/log/topic-size.ts';
import { INPUT_TOPICS, inputTsInit, MergedReader, type TopicDecoder } from '../merged-reader.ts';
import { threadedDrain, type ThreadedDrainOptions } from './reader-thread.ts';

/** Replay's clock: the tsInit of the input being processed. Never the wall clock. */
export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  private t = Number.NEGATIVE_INFINITY;
  advance(t: number): void {
    if (t > this.t) this.t = t;
  }
  now(): number {
    return this.t;
  }
}

export interface ReplayOptions {
  log: EventLog;
  decode: TopicDecoder;
  sinks: readonly PipelineSink[];
  predictor?: Predictor | null;
  config?: GraphConfig;
  /** Called every `progressEvery` inputs with the count so far (progress bars). */
  onProgress?: (inputs: number) => void;
  /** How many inputs between two onProgress calls; default 100,000. */
  progressEvery?: number;
  /** Features events reach the sinks with their option chain (buildGraph's keepChains). */
  keepChains?: boolean;
  /**
   * Read on a second thread (D169): 'auto' (default) does for an embedded log of at least
   * READER_THREAD_MIN_INPUTS inputs on a machine with 2 cores or more, reading in this thread while
   * the reader thread starts; 'on' for any embedded log, the reader thread reading all of its
   * trades (tests); 'off' never. The thread decodes the trades it decodes with the log directory's
   * own schema registry (the decoder every embedded log is read with); `decode` decodes the rest
   * here. A Kafka log is read here.
   */
  readerThread?: 'auto' | 'on' | 'off';
  /** threadedDrain's hand-off options: chunks, the head start's slice, who decodes, the waits and heap samples reported, how the thread loads. */
  handoff?: Pick<ThreadedDrainOptions, 'ring' | 'chunkBytes' | 'slice' | 'decodeTrades' | 'readerHeapMb' | 'waits' | 'boot'>;
}

/**
 * Below this many input records a replay reads on the graph's thread: starting the reader thread
 * (its module loading: ~0.2–0.5 CPU-s) costs more than it overlaps. Above it, the reads and
 * decodes run beside the graph (docs/benchmarks.md, issue 19).
 */
export const READER_THREAD_MIN_INPUTS = 200_000;

/** Inputs between two turns of the event loop when replay reads on the graph's thread. */
const ONE_THREAD_SLICE = 50_000;

async function useReaderThread(opts: ReplayOptions): Promise<string | null> {
  const mode = opts.readerThread ?? 'auto';
  if (mode === 'off' || !(opts.log instanceof LmdbEventLog)) return null;
  if (mode === 'auto') {
    // One core: a second thread would only add its start and the hand-off.
    if (availableParallelism() < 2) return null;
    let inputs = 0;
    for (const t of INPUT_TOPICS) inputs += await topicSize(opts.log, t);
    if (inputs < READER_THREAD_MIN_INPUTS) return null;
  }
  return opts.log.directory;
}

/** Replays the whole log through the same graph the live host runs. */
export async function replayLog(opts: ReplayOptions): Promise<GraphStats> {
  const stats = newGraphStats();
  const clock = new VirtualClock();
  const source = new PushSource<InputEvent>();
  const done = runPipeline({
    clock,
    source,
    sinks: opts.sinks,
    stats,
    predictor: opts.predictor ?? null,
    ...(opts.config ? { config: opts.config } : {}),
    ...(opts.keepChains === true ? { keepChains: true } : {}),
  });
  // The graph keeps no input once it has processed it (buildBars copies what it keeps of a trade;
  // dead letters copy the fields they report), so trades are decoded into reused objects.
  let n = 0;
  const progress = opts.onProgress;
  const every = opts.progressEvery ?? 100_000;
  const emit = (e: InputEvent): void => {
    clock.advance(inputTsInit(e));
    source.next(e);
    if (progress !== undefined && ++n % every === 0) progress(n);
  };
  const dir = await useReaderThread(opts);
  if (dir !== null) await threadedDrain({ log: opts.log, dir, topics: INPUT_TOPICS, decode: opts.decode, ...(opts.readerThread === 'on' ? { slice: 0 } : {}), ...(opts.handoff ?? {}) }, emit);
  else {
    // In slices, with a turn of the event loop between them: what runs on the loop's turns
    // (finalizers, lmdb-js's deferred work) otherwise waits for the whole replay, and the heap after
    // a full collection grew by ~1 byte per input (docs/benchmarks.md, ninth round). The slices are
    // exact: drain(bound, emit, max) continues where it stopped.
    const reader = new MergedReader(opts.log, opts.decode, undefined, undefined, { reuseTrades: true });
    while ((await reader.drain(Number.POSITIVE_INFINITY, emit, ONE_THREAD_SLICE)) === ONE_THREAD_SLICE) await yieldToEvents();
  }
  source.complete();
  return done;
}
