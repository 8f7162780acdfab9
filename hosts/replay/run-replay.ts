import { PushSource } from '../../processors/push-source.ts';
import { runPipeline, type Clock, type GraphConfig, type PipelineSink } from '../../processors/graph.ts';
import { newGraphStats, type GraphStats } from '../../processors/graph-events.ts';
import type { InputEvent, Predictor } from '../../processors/types.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { MergedReader, type TopicDecoder } from '../merged-reader.ts';

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
  const reader = new MergedReader(opts.log, opts.decode, undefined, undefined, { reuseTrades: true });
  let n = 0;
  const progress = opts.onProgress;
  const every = opts.progressEvery ?? 100_000;
  await reader.drain(Number.POSITIVE_INFINITY, (e) => {
    clock.advance(e.kind === 'undecodable' ? e.tsInit : e.value.tsInit);
    source.next(e);
    if (progress !== undefined && ++n % every === 0) progress(n);
  });
  source.complete();
  return done;
}
