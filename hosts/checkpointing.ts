import { Subject } from 'rxjs';
import {
  checkIdentity, GraphStateRegistry, graphIdentity, readGraphSnapshotHeader, restoreGraph, snapshotGraph, type GraphIdentity,
} from '../processors/checkpoint/index.ts';
import { DEFAULT_GRAPH_CONFIG, runPipeline, type GraphConfig, type PipelineSink } from '../processors/graph.ts';
import { newGraphStats, type GraphStats } from '../processors/graph-events.ts';
import type { InputEvent, Predictor } from '../processors/types.ts';
import type { Checkpoint, CheckpointStore } from '../storage/checkpoints/checkpoint-store.ts';
import type { EventLog } from '../storage/log/event-log.ts';
import { INPUT_TOPICS, MergedReader, type TopicDecoder } from './merged-reader.ts';
import { VirtualClock } from './replay/run-replay.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { hostEvents, type HostEventEmitter } from './host-events.ts';

/** Defaults of checkpointed replays, visible in one place. */
export const CHECKPOINTING_DEFAULTS = { everyInputs: 200_000, everyMarketMs: 15 * 60_000 } as const;

export interface CheckpointedReplayOptions {
  log: EventLog;
  decode: TopicDecoder;
  sinks: readonly PipelineSink[];
  store: CheckpointStore;
  /** Code version the snapshots are bound to (a checkpoint of another version is ignored). */
  codeVersion: string;
  predictor?: Predictor | null;
  config?: GraphConfig;
  /** Take a checkpoint every this many inputs (default 200,000) and at the end. */
  everyInputs?: number;
  /** false: replay from offset 0 even if a checkpoint exists (still writes checkpoints). */
  resume?: boolean;
  /** One record per checkpoint ignored (warn), and the one resumed from (info). Default: silent. */
  logger?: Logger;
  /** Where `resume`, `checkpoint` and `checkpoint-ignored` are emitted (hosts/host-events.ts). */
  events?: HostEventEmitter;
}

export interface CheckpointedReplayResult {
  stats: GraphStats;
  /** Inputs covered by the checkpoint resumed from (0: replayed from offset 0). */
  resumedFrom: number;
  /** Inputs read from the log in this run (the tail). */
  replayed: number;
  checkpointsWritten: number;
}

/**
 * Replays a log through the graph starting from the latest checkpoint that matches this graph
 * (code version, feature set, model, configuration), or from offset 0 when none does, and writes
 * checkpoints as it goes. The sinks see only the outputs of the inputs replayed here: with a
 * checkpoint at k, exactly the outputs a full replay makes after its first k inputs.
 */
export async function replayWithCheckpoints(opts: CheckpointedReplayOptions): Promise<CheckpointedReplayResult> {
  const config = opts.config ?? DEFAULT_GRAPH_CONFIG;
  const predictor = opts.predictor ?? null;
  const identity = graphIdentity(config, predictor, opts.codeVersion);
  const every = opts.everyInputs ?? CHECKPOINTING_DEFAULTS.everyInputs;
  const logger = opts.logger ?? silentLogger();
  const events = opts.events ?? hostEvents();
  const stats = newGraphStats();
  const registry = new GraphStateRegistry();
  const clock = new VirtualClock();
  const source = new Subject<InputEvent>();
  const done = runPipeline({ clock, source, sinks: opts.sinks, stats, predictor, config, state: registry });
  const reader = new MergedReader(opts.log, opts.decode);

  const found = opts.resume === false ? null : latestMatching(opts.store, identity, logger, events);
  if (found !== null) {
    restoreGraph(registry, stats, found.state, identity);
    await reader.startAt(new Map(Object.entries(found.positions)));
    resumed(logger, events, found.inputs);
  }
  const resumedFrom = stats.inputs;
  let last = resumedFrom;
  let written = 0;
  const checkpoint = (): void => {
    const positions: Record<string, number> = {};
    for (const p of reader.positions()) positions[`${p.topic}/${p.partition}`] = p.offset;
    opts.store.save({ inputs: stats.inputs, positions, state: snapshotGraph(registry, stats, identity) });
    last = stats.inputs;
    written++;
    saved(logger, events, stats.inputs);
  };
  const replayed = await reader.drain(Number.POSITIVE_INFINITY, (e) => {
    // Here, before `e` goes in, the graph has processed exactly the inputs before `e`, and the
    // reader's positions() do not count `e` yet: state and positions agree.
    if (stats.inputs - last >= every) checkpoint();
    clock.advance(e.kind === 'undecodable' ? e.tsInit : e.value.tsInit);
    source.next(e);
  });
  if (stats.inputs > last) checkpoint();
  source.complete();
  await done;
  return { stats, resumedFrom, replayed, checkpointsWritten: written };
}

/** The newest stored checkpoint whose header matches `identity`; others are logged and emitted as ignored. */
export function latestMatching(store: CheckpointStore, identity: GraphIdentity, logger: Logger, events: HostEventEmitter): Checkpoint | null {
  const hit = store.latest(
    (cp) => {
      try {
        checkIdentity(readGraphSnapshotHeader(cp.state), identity);
        return cp;
      } catch (err) {
        ignored(logger, events, cp.inputs, `${(err as Error).message}; falling back to an older one or a full replay`);
        return null;
      }
    },
    (file, reason) => ignored(logger, events, null, `unreadable checkpoint ${file}: ${reason}`),
  );
  return hit?.checkpoint ?? null;
}

function ignored(logger: Logger, events: HostEventEmitter, inputs: number | null, reason: string): void {
  logger.warn({ event: 'checkpoint-ignored', inputs }, inputs === null ? `ignoring ${reason}` : `ignoring the checkpoint at input ${inputs}: ${reason}`);
  events.emit('checkpoint-ignored', { inputs, reason });
}

function resumed(logger: Logger, events: HostEventEmitter, inputs: number): void {
  logger.info({ event: 'resume', inputs }, `resuming from the checkpoint at input ${inputs}`);
  events.emit('resume', { inputs });
}

function saved(logger: Logger, events: HostEventEmitter, inputs: number): void {
  logger.debug({ event: 'checkpoint', inputs }, `checkpoint written at input ${inputs}`);
  events.emit('checkpoint', { inputs });
}

/** What the live host's output sink must offer so a restart from a checkpoint loses and repeats nothing. */
export interface CheckpointedSink {
  outputCounts(): Record<string, number>;
  /** null when it can continue from these counts; else the reason (e.g. the log holds fewer). */
  resumeCounts(counts: Readonly<Record<string, number>>): string | null;
}

export interface LiveCheckpointingOptions {
  store: CheckpointStore;
  codeVersion: string;
  config: GraphConfig;
  predictor: Predictor | null;
  /** The LogSink: its output numbering is saved with each checkpoint and restored from it. */
  sink: CheckpointedSink;
  /** Save when this many inputs (default 200,000) or this much market time (default 15 min) passed. */
  everyInputs?: number;
  everyMarketMs?: number;
  /** Checkpoints ignored (warn), resumed from (info), written (debug). Default: silent. */
  logger?: Logger;
  /** Default a new emitter, as `events`. */
  events?: HostEventEmitter;
}

/**
 * Checkpoints for the live host (runLive's `checkpoints`): before catch-up, restores the graph,
 * the reader and the sink's numbering from the newest usable checkpoint; between chunks, once the
 * chunk's outputs are durable, saves one when due. Saved only after the outputs it counts are in
 * the log, so a kill -9 at any moment leaves checkpoints that neither skip nor repeat outputs;
 * one that counts more outputs than the log holds is refused anyway.
 */
export class GraphCheckpointer {
  readonly registry = new GraphStateRegistry();
  private readonly identity: GraphIdentity;
  private lastInputs = 0;
  private lastMarket = Number.NEGATIVE_INFINITY;
  resumedFrom = 0;
  written = 0;
  /** Instrumentation events: `resume`, `checkpoint`, `checkpoint-ignored` (hosts/host-events.ts). */
  readonly events: HostEventEmitter;
  private readonly logger: Logger;

  constructor(private readonly opts: LiveCheckpointingOptions) {
    this.identity = graphIdentity(opts.config, opts.predictor, opts.codeVersion);
    this.events = opts.events ?? hostEvents();
    this.logger = opts.logger ?? silentLogger();
  }

  /** Before the first input: restores from the newest usable checkpoint; returns its input count (0: none). */
  async resume(reader: MergedReader, stats: GraphStats, log: EventLog): Promise<number> {
    const { logger, events } = this;
    // A checkpoint past the end of an input partition belongs to another log (or a truncated one).
    const ends = new Map<string, number>();
    for (const t of INPUT_TOPICS) for (let p = 0; p < (await log.partitions(t)); p++) ends.set(`${t}/${p}`, await log.endOffset(t, p));
    const beyond = (cp: Checkpoint): string | null => {
      for (const [k, off] of Object.entries(cp.positions)) if (off > (ends.get(k) ?? 0)) return `it starts ${k} at ${off}, the log ends at ${ends.get(k) ?? 0}`;
      return null;
    };
    const hit = this.opts.store.latest(
      (cp) => {
        try {
          checkIdentity(readGraphSnapshotHeader(cp.state), this.identity);
        } catch (err) {
          ignored(logger, events, cp.inputs, (err as Error).message);
          return null;
        }
        const why = beyond(cp) ?? (cp.outputs === undefined ? 'it has no output counts' : this.opts.sink.resumeCounts(cp.outputs));
        if (why !== null) {
          ignored(logger, events, cp.inputs, why);
          return null;
        }
        return cp;
      },
      (file, reason) => ignored(logger, events, null, `unreadable checkpoint ${file}: ${reason}`),
    );
    if (hit === null) {
      logger.info('no usable checkpoint: replaying the log from offset 0');
      return 0;
    }
    const cp = hit.checkpoint;
    restoreGraph(this.registry, stats, cp.state, this.identity);
    await reader.startAt(new Map(Object.entries(cp.positions)));
    resumed(logger, events, cp.inputs);
    this.resumedFrom = this.lastInputs = cp.inputs;
    return cp.inputs;
  }

  /** Call between chunks, after their outputs are durable; `marketTime` = the chunk's bound. */
  maybeSave(reader: MergedReader, stats: GraphStats, marketTime: number): boolean {
    if (stats.inputs === this.lastInputs) return false;
    const every = this.opts.everyInputs ?? CHECKPOINTING_DEFAULTS.everyInputs;
    const everyMs = this.opts.everyMarketMs ?? CHECKPOINTING_DEFAULTS.everyMarketMs;
    if (Number.isFinite(this.lastMarket) && stats.inputs - this.lastInputs < every && marketTime - this.lastMarket < everyMs) return false;
    const positions: Record<string, number> = {};
    for (const p of reader.positions()) positions[`${p.topic}/${p.partition}`] = p.offset;
    this.opts.store.save({ inputs: stats.inputs, positions, state: snapshotGraph(this.registry, stats, this.identity), outputs: this.opts.sink.outputCounts() });
    this.lastInputs = stats.inputs;
    this.lastMarket = Number.isFinite(marketTime) ? marketTime : this.lastMarket;
    this.written++;
    saved(this.logger, this.events, stats.inputs);
    return true;
  }
}
