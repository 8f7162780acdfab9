import { GraphStateRegistry, restoreGraph, snapshotGraph, type GraphIdentity } from '../../processors/checkpoint/index.ts';
import { PushSource } from '../../processors/push-source.ts';
import { runPipeline, type Clock, type GraphConfig, type PipelineSink } from '../../processors/graph.ts';
import { newGraphStats, type GraphStats } from '../../processors/graph-events.ts';
import type { InputEvent, Predictor } from '../../processors/types.ts';
import { INPUT_TOPICS, MergedReader, type TopicDecoder } from '../merged-reader.ts';
import { partitionFor, type EventLog } from '../../storage/log/event-log.ts';
import type { GraphEvent } from '../../processors/graph-events.ts';

/** Next offset per input topic-partition, keyed `topic/partition` (Kafka's committed-offset meaning). */
export type Cut = Map<string, number>;

export interface UnitOptions {
  log: EventLog;
  decode: TopicDecoder;
  predictor: Predictor | null;
  config?: GraphConfig;
  /** Receives the unit's outputs, except those of a rebuild. */
  sink: PipelineSink;
  clock: Clock;
  /**
   * A cross-symbol feature set (config.featureSet.reference): the reference symbol's partition of
   * the input topics and their partition count. The unit then also reads that partition and emits
   * only the outputs of its own partition's symbols (decisions D61). Its positions() then include
   * the reference partition's; the group commits only its own (ownPositions) and carries the
   * reference's in the commit metadata (referencePositions), so a rebuild reaches both again.
   */
  reference?: { partition: number; partitionCount: number };
}

/** The symbol an output belongs to (dead letters: their key, the input's symbol). */
function symbolOf(e: GraphEvent): string {
  switch (e.kind) {
    case 'bar': return e.bar.symbol;
    case 'features': return e.vector.symbol;
    case 'signal': return e.signal.symbol;
    case 'late': return e.late.symbol;
    case 'deadLetter': return e.deadLetter.key;
    case 'health': return e.health.symbol;
  }
}

/**
 * The processing of one partition number p of the input topics: its own graph instance fed by a
 * MergedReader over partition p of trades, options and candles. Per-symbol state (bars,
 * watermarks, features) lives only here, so the outputs equal a whole-log replay's outputs for
 * those symbols, in the same order (test/unit/group/partition-unit.test.ts).
 */
export class PartitionUnit {
  readonly stats: GraphStats = newGraphStats();
  private readonly source = new PushSource<InputEvent>();
  private readonly reader: MergedReader;
  private readonly done: Promise<GraphStats>;
  /** The graph's stateful operators, for checkpoints (snapshot / restore). */
  private readonly registry = new GraphStateRegistry();
  private rebuilding = false;
  /** The partition numbers of the input topics the unit reads: its own, then the reference's when that is another. */
  readonly reads: readonly number[];
  private failed: Error | null = null;
  /** performance.now() when the input being processed was handed to the graph (not during a rebuild). */
  private inputAt = 0;
  /** Per signal emitted since the last takeSignalArrivals: when its closing input was handed to the graph. */
  private arrivals: number[] = [];

  constructor(
    readonly partition: number,
    opts: UnitOptions,
  ) {
    const ref = opts.reference;
    const extra = ref !== undefined && ref.partition !== partition;
    this.reads = extra ? [partition, ref.partition] : [partition];
    this.reader = new MergedReader(opts.log, opts.decode, INPUT_TOPICS, this.reads);
    // With the reference's partition read too, its other symbols are processed (for the state) but
    // their outputs are that partition's owner's to emit.
    const mine = extra ? (e: GraphEvent): boolean => partitionFor(symbolOf(e), ref.partitionCount) === partition : (): boolean => true;
    const gate: PipelineSink = {
      onEvent: (e, c) => {
        if (this.rebuilding || !mine(e)) return;
        // A signal comes out while its closing input is being processed (the graph is synchronous).
        if (e.kind === 'signal') this.arrivals.push(this.inputAt);
        opts.sink.onEvent(e, c);
      },
    };
    this.done = runPipeline({ clock: opts.clock, source: this.source, sinks: [gate], stats: this.stats, predictor: opts.predictor, state: this.registry, ...(opts.config ? { config: opts.config } : {}) });
    this.done.catch((e: unknown) => void (this.failed = e instanceof Error ? e : new Error(String(e))));
  }

  /**
   * Rebuilds state by replaying the inputs before `cut` with outputs suppressed: they were
   * produced (and acknowledged) by whoever committed the cut. Returns the inputs replayed.
   */
  async rebuild(cut: Cut): Promise<number> {
    this.rebuilding = true;
    try {
      return await this.reader.drainBefore(cut, this.push);
    } finally {
      this.rebuilding = false;
    }
  }

  /**
   * Before the first input: puts the graph in the state of a checkpoint (snapshotGraph text, its
   * header checked against `identity`: GraphSnapshotMismatch, before anything changes, when it
   * differs) and the reader at the checkpoint's positions. A rebuild(cut) then replays only the
   * inputs between those positions and the cut.
   */
  async restore(state: string, positions: Readonly<Record<string, number>>, identity: GraphIdentity): Promise<void> {
    restoreGraph(this.registry, this.stats, state, identity);
    await this.reader.startAt(new Map(Object.entries(positions)));
  }

  /** The graph's state now (between two inputs) as snapshot text, with the positions it belongs to. */
  snapshot(identity: GraphIdentity): { inputs: number; positions: Record<string, number>; state: string } {
    return { inputs: this.stats.inputs, positions: Object.fromEntries(this.cut()), state: snapshotGraph(this.registry, this.stats, identity) };
  }

  /** Processes every input now in the log with tsInit <= bound, or only the next `max` of them. Returns how many. */
  async drain(bound: number, max = Number.POSITIVE_INFINITY): Promise<number> {
    const n = await this.reader.drain(bound, this.push, max);
    if (this.failed !== null) throw this.failed;
    return n;
  }

  /** Where the unit is: the next offset per input topic-partition (what a member commits). */
  positions(): { topic: string; partition: number; offset: number }[] {
    return this.reader.positions();
  }

  /** The positions on the unit's own partition p: what the group commits as its offsets. */
  ownPositions(): { topic: string; partition: number; offset: number }[] {
    return this.positions().filter((x) => x.partition === this.partition);
  }

  /** The positions on the reference's partition when it is another one (else none): part of the unit's cut, not its commit. */
  referencePositions(): { topic: string; partition: number; offset: number }[] {
    return this.positions().filter((x) => x.partition !== this.partition);
  }

  /** The same, as a cut. */
  cut(): Cut {
    return new Map(this.positions().map((p) => [`${p.topic}/${p.partition}`, p.offset]));
  }

  /** Ends the unit; outputs it might still make are dropped (its partition went elsewhere). */
  async close(): Promise<void> {
    this.rebuilding = true;
    this.source.complete();
    await this.done.catch(() => undefined);
  }

  /**
   * Per signal emitted since the last call, the wall time (performance.now()) at which the input
   * that closed its bar was handed to the graph, right after the reader fetched and decoded it:
   * the bar's close as this member saw it.
   */
  takeSignalArrivals(): number[] {
    const a = this.arrivals;
    this.arrivals = [];
    return a;
  }

  private readonly push = (e: InputEvent): void => {
    if (!this.rebuilding) this.inputAt = performance.now();
    this.source.next(e);
  };
}

/** True when `a` is at or past `b` on every topic-partition. */
export function cutCovers(a: Cut, b: Cut): boolean {
  for (const [k, v] of b) if ((a.get(k) ?? 0) < v) return false;
  return true;
}
