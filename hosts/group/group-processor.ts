import { Kafka, logLevel, type Admin, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import type { GraphEvent } from '../../processors/graph-events.ts';
import type { Clock, GraphConfig, PipelineSink } from '../../processors/graph.ts';
import type { Predictor } from '../../processors/types.ts';
import { INPUT_TOPICS, type TopicDecoder } from '../merged-reader.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { DEFAULT_BACKOFF, withBackoff } from '../../storage/kafka/with-backoff.ts';
import { sleep } from '../../lib/sleep.ts';
import type { Logger } from '../../lib/log.ts';
import { emitDeadLetter, hostEvents, type HostEventEmitter } from '../host-events.ts';
import { byteChunks, kafkaMessages, PRODUCE_MAX_BYTES } from '../../storage/kafka/produce-chunks.ts';
import { partitionFor, type AppendRecord, type EventLog } from '../../storage/log/event-log.ts';
import { summarizeLatencies } from '../live/latency-summary.ts';
import { LogSink } from '../log-sink.ts';
import { coPartitionAssigner } from './co-partition-assigner.ts';
import { ProgressTracker } from './feed-progress.ts';
import { cutCovers, PartitionUnit, type Cut } from './partition-unit.ts';
import type { UnitCheckpoints } from './unit-checkpoints.ts';

export interface GroupProcessorOptions {
  brokers: string[];
  groupId: string;
  /** The Kafka event log (reads of input partitions, appends of outputs). */
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: TopicDecoder;
  predictor: Predictor | null;
  config?: GraphConfig;
  /** Outputs and offsets in one Kafka transaction per round and partition (needs a real broker). */
  exactlyOnce?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Pause between rounds that found nothing to do, ms. */
  idleMs?: number;
  signal: AbortSignal;
  /** Progress and trouble (lib/log.ts). */
  logger: Logger;
  /** Where `assigned`, `handed-over` and `dead-letter` are emitted (hosts/host-events.ts); default a new one, as `events`. */
  events?: HostEventEmitter;
  /** Sees every output that is written (not those of a rebuild), e.g. to print signals. */
  onOutput?: (e: GraphEvent) => void;
  /**
   * Wraps each offset commit of the at-least-once mode (default: call it). A test seam: tests make
   * a commit fail as a rebalance makes it fail on the broker (`ILLEGAL_GENERATION`).
   */
  wrapCommit?: (commit: () => Promise<void>, partition: number) => Promise<void>;
  /**
   * A test seam, exactly-once only: called after the partitions to be rebuilt were fenced (their
   * transactional producers connected) and before their committed offsets are read again. Tests
   * commit a zombie's transaction here; docs/reliability.md.
   */
  beforeFencedOffsets?: (partitions: number[]) => Promise<void>;
  /** A test seam: sees each kafkajs consumer the member joins the group with (its events, paused()). */
  onConsumer?: (consumer: Consumer) => void;
  /** At most this many inputs per round and partition (default ROUND_MAX_INPUTS, 5,000). */
  maxRoundInputs?: number;
  /**
   * Checkpoints of the partition units (the `checkpoints` topic): a newly owned partition starts
   * from the newest usable one and replays only the inputs after it; one is written after a
   * committed round when due. Absent: every takeover rebuilds from offset 0.
   */
  checkpoints?: UnitCheckpoints;
}

export interface GroupResult {
  /** Partition numbers owned when it stopped. */
  partitions: number[];
  inputs: number;
  outputs: number;
  signals: number;
  /** Per takeover: inputs replayed to rebuild the state, after the checkpoint at input `fromCheckpoint` (0: from offset 0). */
  rebuilds: { partition: number; inputs: number; fromCheckpoint: number }[];
  commits: number;
  commitFailures: number;
  /**
   * Commits of a position whose first commit failed or was held back by a rebalance (or that a
   * kept partition was ahead of after one): made on a later pass, inputs or not.
   */
  recommits: number;
  assignments: number;
  /** Times the member joined the group again after kafkajs's consumer gave up. */
  rejoins: number;
  progress: Record<string, number>;
  /**
   * Wall ms from reading the progress bound to the acknowledgement of the signals it released,
   * over live rounds (at most 1,000 inputs) that wrote signals. The feed → marker → poll hop
   * comes on top: at most idleMs plus one read of the progress topic.
   */
  signalLatencyMs: { rounds: number; p50: number | null; p99: number | null; max: number | null };
  /**
   * Per signal of a live-sized round: wall ms from the bar's close as the member saw it (the input
   * that closed the bar handed to the graph, right after its fetch from Kafka and decode) to the
   * acknowledgement (acks=all) of the append of the signal record. The last 10,000 signals.
   */
  barCloseLatencyMs: { signals: number; p50: number | null; p99: number | null; max: number | null };
  /**
   * Wall ms spent per phase of the rounds that processed inputs, summed: `read` (the reader's
   * fetches, decode and the graph, which run interleaved), `write` (appending the outputs, acks=all,
   * or the whole transaction with exactlyOnce), `commit` (the offset commit), `checkpoint`; and
   * `rebuild` (state rebuilt on assignment). Where a catch-up's time goes.
   */
  phasesMs: { rounds: number; read: number; write: number; commit: number; checkpoint: number; rebuild: number };
}

const LATENCY_WINDOW = 10_000;
const LIVE_ROUND_INPUTS = 1_000;
/**
 * At most this many inputs per round: a catch-up of a partition (a takeover, a rebuild, history)
 * goes in rounds that each commit, and between two of them the member applies an assignment
 * change. Unbounded, a member that took over a partition 37,401 inputs behind under a load
 * average of 55 had committed none of them 2 minutes later, nor applied the rebalance that
 * followed (group-failover.test.ts, zombie case).
 */
const ROUND_MAX_INPUTS = 5_000;
/** Longest idle wait between passes with nothing to do, ms (a new progress marker ends it at once). */
const IDLE_MAX_MS = 320;

/** The clock sinks see here; the graph never reads it for logic. */
const WALL: Clock = { kind: 'live', now: () => Date.now() };

/** A committed offset of partition p, with (cross-symbol sets) the unit's position on the reference's partition of the same topic as its metadata. */
type Commit = { topic: string; partition: number; offset: string; metadata?: string };

/** The commit metadata that carries the unit's position on the reference partition (D61): `{"reference":{"partition":r,"offset":n}}`. */
function referenceMetadata(partition: number, offset: number): string {
  return JSON.stringify({ reference: { partition, offset } });
}

function parseReferenceMetadata(metadata: string | null): { partition: number; offset: number } | null {
  if (metadata === null || !metadata.startsWith('{')) return null;
  try {
    const m = (JSON.parse(metadata) as { reference?: { partition?: unknown; offset?: unknown } }).reference;
    return m !== undefined && Number.isInteger(m.partition) && Number.isInteger(m.offset) ? { partition: m.partition as number, offset: m.offset as number } : null;
  } catch {
    return null;
  }
}

/** The offsets a member commits for a unit: its own partition's, each with the reference partition's position of that topic (if read) as metadata. */
export function unitCommit(unit: PartitionUnit): Commit[] {
  const ref = new Map(unit.referencePositions().map((x) => [x.topic, x]));
  return unit.ownPositions().map(({ topic, partition, offset }) => {
    const r = ref.get(topic);
    return { topic, partition, offset: String(offset), ...(r !== undefined ? { metadata: referenceMetadata(r.partition, r.offset) } : {}) };
  });
}

/**
 * The group's committed offsets (admin fetchOffsets' answer) as a cut per partition number: p's
 * own offsets, plus, when `reference` is another partition r, the positions on r that p's unit
 * had reached (commit metadata, D61). Throws when p has committed offsets without them (committed
 * by a graph that did not read the reference: its state cannot be rebuilt to the same point).
 */
export function cutsFromCommitted(res: { topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[], reference?: number): Map<number, Cut> {
  const out = new Map<number, Cut>();
  const missing = new Set<number>();
  for (const t of res) {
    for (const { partition, offset, metadata } of t.partitions) {
      const n = Number(offset);
      if (n < 0) continue; // -1: nothing committed yet
      let cut = out.get(partition);
      if (cut === undefined) out.set(partition, (cut = new Map()));
      cut.set(`${t.topic}/${partition}`, n);
      if (reference === undefined || reference === partition) continue;
      const m = parseReferenceMetadata(metadata);
      if (m === null || m.partition !== reference) missing.add(partition);
      else cut.set(`${t.topic}/${m.partition}`, m.offset);
    }
  }
  for (const p of missing) throw new Error(`the group's committed offsets of partition ${p} carry no position on the reference's partition ${reference} (committed by a graph without this cross-symbol set?): start this model under a new --group`);
  return out;
}

interface Owned {
  unit: PartitionUnit;
  sink: LogSink;
  producer: Producer | null;
  /**
   * At-least-once: the unit's position, outputs written, that the group has not recorded yet (its
   * commit failed or was held back by a rebalance); committed again on a later pass. null: none.
   */
  pending: Commit[] | null;
  /** performance.now() before which a failed commit is not tried again (backoff), and the failures in a row. */
  retryAt: number;
  failures: number;
}

/**
 * Runs the processing graph as a member of a Kafka consumer group (`tickflow run processors`).
 *
 * - Work is divided by partition NUMBER (coPartitionAssigner): the member that owns p processes
 *   trades/p, options/p and candles/p through its own graph instance (PartitionUnit).
 * - A newly owned partition's state is rebuilt before anything is emitted for it: the inputs
 *   before the group's committed offsets are replayed with outputs suppressed. Its state is kept
 *   only when it already stands at or past the committed offsets (it was ours all along).
 * - Inputs are processed only up to the feeds' progress watermark (ProgressTracker), so every
 *   member processes the replay order and the outputs equal a replay's.
 * - A cross-symbol feature set (config.featureSet.reference): each unit also reads the
 *   reference's partition r; only p's offsets are committed, with the unit's position on r as
 *   their commit metadata, and a new owner rebuilds to both (decisions D61, D68).
 * - Per round and partition: outputs appended (acks=all), then the input offsets committed
 *   (at-least-once: after a crash the next owner repeats the uncommitted outputs, which carry the
 *   same deterministic ids), or with exactlyOnce both in one transaction.
 *
 * kafkajs's consumer is used for membership and commits only: its fetching is paused, reads go
 * through the EventLog in the merged order.
 */
export class GroupProcessor {
  private readonly owned = new Map<number, Owned>();
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private joined: number[] | null = null;
  private joins = 0;
  private applied = 0;
  private rebalancing = false;
  /** Set when kafkajs's consumer crashed and will not restart itself: the member must stop. */
  private fatal: Error | null = null;
  private failedJoins = 0;
  /** Aborted (and replaced) at every group event: a join, a rebalance, a crash. */
  private changed = new AbortController();
  private readonly stats: GroupResult = { partitions: [], inputs: 0, outputs: 0, signals: 0, rebuilds: [], commits: 0, commitFailures: 0, recommits: 0, assignments: 0, rejoins: 0, progress: {}, signalLatencyMs: { rounds: 0, p50: null, p99: null, max: null }, barCloseLatencyMs: { signals: 0, p50: null, p99: null, max: null }, phasesMs: { rounds: 0, read: 0, write: 0, commit: 0, checkpoint: 0, rebuild: 0 } };
  private readonly latencies: number[] = [];
  private latencyRounds = 0;
  private readonly barCloseLatencies: number[] = [];
  private barCloseSignals = 0;
  private boundAt = 0;
  /** A cross-symbol set's reference partition of the input topics (D61); undefined for the others. */
  private reference: { partition: number; partitionCount: number } | undefined;

  /** Instrumentation events: `assigned`, `handed-over`, `dead-letter` (hosts/host-events.ts). */
  readonly events: HostEventEmitter;
  private readonly log: Logger;

  constructor(private readonly opts: GroupProcessorOptions) {
    this.events = opts.events ?? hostEvents();
    this.log = opts.logger;
    const kafkaLog = opts.logger.child({ component: 'kafkajs' });
    // kafkajs's own warnings and errors (rebalances, coordinator moves) are worth seeing; not its chatter.
    const logCreator = () => (entry: LogEntry) => {
      if (entry.level <= logLevel.WARN) kafkaLog.warn({ namespace: entry.namespace }, `kafkajs ${entry.namespace}: ${entry.log.message}`);
    };
    this.kafka = new Kafka({ brokers: opts.brokers, clientId: `tickflow-processors`, logLevel: logLevel.WARN, logCreator, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 } });
  }

  async run(): Promise<GroupResult> {
    const { signal } = this.opts;
    const progress = new ProgressTracker(this.opts.log, this.opts.decode);
    // The input topics must exist before subscribing (on the mock, asking creates them).
    for (const t of INPUT_TOPICS) await this.opts.log.partitions(t);
    const refSymbol = this.opts.config?.featureSet.reference;
    if (refSymbol !== undefined) {
      const partitionCount = await this.opts.log.partitions(INPUT_TOPICS[0]);
      this.reference = { partition: partitionFor(refSymbol, partitionCount), partitionCount };
    }
    this.admin = this.kafka.admin();
    await withBackoff(`connect to ${this.opts.brokers.join(',')}`, () => this.admin!.connect(), DEFAULT_BACKOFF, this.log, signal);
    await this.join();
    let waitingSaid = false;
    // Consecutive passes that found nothing to do (the idle wait backs off with it).
    let idle = 0;
    try {
      while (!signal.aborted) {
        if (this.fatal) {
          // kafkajs gave up on this consumer (seen after a broker freeze: a SyncGroup answer it
          // does not retry). Join again as a new member; the states we hold are checked against
          // the committed offsets on the next assignment, as always.
          this.log.warn(`group consumer stopped (${this.fatal.message}); joining the group again`);
          this.fatal = null;
          this.rebalancing = true;
          this.stats.rejoins++;
          await this.consumer?.disconnect().catch(() => undefined);
          // Backs off while joins keep failing (reset by the next assignment).
          await sleep(Math.min(5_000, 250 * 2 ** Math.min(5, this.failedJoins++)), signal);
          await this.join();
          continue;
        }
        if (this.applied !== this.joins && !this.rebalancing) await this.applyAssignment();
        if (this.rebalancing || this.owned.size === 0) {
          await sleep(50, signal);
          continue;
        }
        // Aborted by any group event from here on: an idle wait below ends at once.
        const changed = this.changed.signal;
        const bound = await progress.poll();
        this.boundAt = performance.now();
        if (bound === Number.NEGATIVE_INFINITY && !waitingSaid) {
          this.log.info('waiting for feed progress: no source has written to the `progress` topic yet (start --broker, mirror --to kafka and ingest --broker do)');
          waitingSaid = true;
        }
        let worked = 0;
        for (const p of [...this.owned.keys()].sort((a, b) => a - b)) {
          if (this.rebalancing || this.applied !== this.joins) break;
          worked += await this.round(p, bound);
        }
        if (worked > 0) idle = 0;
        else {
          // Nothing to do until a new marker raises the bound (or the group changes): wait for it,
          // backing off from idleMs to IDLE_MAX_MS while idle; a marker wakes the wait at once.
          // A position waiting to be committed again keeps the short pause.
          const pending = [...this.owned.values()].some((o) => o.pending !== null);
          const base = this.opts.idleMs ?? 20;
          await progress.waitForMarker(pending ? base : Math.min(Math.max(base, IDLE_MAX_MS), base * 2 ** Math.min(idle++, 5)), signal, changed);
        }
      }
    } finally {
      this.stats.partitions = [...this.owned.keys()].sort((a, b) => a - b);
      this.stats.progress = progress.sources();
      const round2 = (v: number | null): number | null => (v === null ? null : +v.toFixed(2));
      const { p50, p99, max } = summarizeLatencies(this.latencies);
      this.stats.signalLatencyMs = { rounds: this.latencyRounds, p50: round2(p50), p99: round2(p99), max: round2(max) };
      const bc = summarizeLatencies(this.barCloseLatencies);
      this.stats.barCloseLatencyMs = { signals: this.barCloseSignals, p50: round2(bc.p50), p99: round2(bc.p99), max: round2(bc.max) };
      const ph = this.stats.phasesMs;
      this.stats.phasesMs = { rounds: ph.rounds, read: Math.round(ph.read), write: Math.round(ph.write), commit: Math.round(ph.commit), checkpoint: Math.round(ph.checkpoint), rebuild: Math.round(ph.rebuild) };
      for (const p of [...this.owned.keys()]) await this.release(p);
      // Leaving the group hands our partitions over at once (no session timeout to wait for).
      await this.consumer?.disconnect().catch(() => undefined);
      await this.admin.disconnect().catch(() => undefined);
    }
    return this.stats;
  }

  /**
   * Joins the group with a new kafkajs consumer, used for membership and commits only: it is
   * subscribed to the input topics with our assigner, and its fetching is paused.
   */
  private async join(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      partitionAssigners: [coPartitionAssigner],
      sessionTimeout: this.opts.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.opts.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: 30_000,
      // Its (paused) fetch loop is where kafkajs heartbeats and learns of rebalances: keep it short.
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    this.opts.onConsumer?.(consumer);
    // Events of a consumer we have since replaced are ignored.
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (this.consumer !== consumer) return;
      // Paused at every join, before its fetch loop starts: kafkajs restarts a crashed consumer
      // (retriable errors) with a new internal group whose partitions are not paused, and that
      // one fetched the input partitions in a loop from the committed offsets (its batches never
      // resolved), decoding megabytes per fetch for nothing (group-consumer-restart.test.ts).
      this.pauseFetching(consumer);
      const numbers = new Set<number>();
      for (const parts of Object.values(e.payload.memberAssignment)) for (const p of parts) numbers.add(p);
      this.joined = [...numbers].sort((a, b) => a - b);
      this.joins++;
      this.failedJoins = 0;
      this.rebalancing = false;
      this.groupChanged();
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (this.consumer !== consumer) return;
      this.rebalancing = true;
      this.groupChanged();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (this.consumer !== consumer) return;
      // kafkajs restarts its consumer after retriable errors (and rejoins: a GROUP_JOIN follows).
      if (e.payload.restart) this.log.warn(`group consumer restarting after: ${e.payload.error.message}`);
      else this.fatal = e.payload.error;
      this.groupChanged();
    });
    await withBackoff(`connect to the group coordinator at ${this.opts.brokers.join(',')}`, () => consumer.connect(), DEFAULT_BACKOFF, this.log, this.opts.signal);
    try {
      await consumer.subscribe({ topics: [...INPUT_TOPICS], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
      // Throws if the consumer crashed meanwhile (its group state is gone): the run loop joins again.
      consumer.pause(INPUT_TOPICS.map((topic) => ({ topic })));
    } catch (e) {
      this.fatal = e instanceof Error ? e : new Error(String(e));
    }
  }

  /** Ends an idle wait in progress (run's loop looks at the group's state next). */
  private groupChanged(): void {
    this.changed.abort();
    this.changed = new AbortController();
  }

  /** Pauses the consumer's fetching of the input topics (it is used for membership and commits only). */
  private pauseFetching(consumer: Consumer): void {
    try {
      consumer.pause(INPUT_TOPICS.map((topic) => ({ topic })));
    } catch (e) {
      // Only before run() has made its group, which the join that calls this implies it has.
      this.log.warn(`could not pause the group consumer's fetching (${(e as Error).message})`);
    }
  }

  /**
   * Processes partition p up to `bound` and commits it; returns the inputs processed. With no new
   * inputs, commits a pending position (an earlier commit failed or was held back): otherwise a
   * partition whose inputs had ended would keep the group's committed offsets behind for good.
   */
  private async round(p: number, bound: number): Promise<number> {
    const o = this.owned.get(p);
    if (o === undefined) return 0;
    const ph = this.stats.phasesMs;
    let t = performance.now();
    const n = await o.unit.drain(bound, this.opts.maxRoundInputs ?? ROUND_MAX_INPUTS);
    const lap = (): number => {
      const now = performance.now();
      const d = now - t;
      t = now;
      return d;
    };
    if (n === 0) {
      if (o.pending !== null && performance.now() >= o.retryAt) await this.commitPending(p, o, true);
      return 0;
    }
    this.stats.inputs += n;
    ph.rounds++;
    ph.read += lap();
    const outputs = o.sink.take();
    // Only p's offsets are ours to commit; the position on a reference partition goes in their metadata.
    const offsets = unitCommit(o.unit);
    try {
      if (o.producer) await this.commitTransaction(o.producer, outputs, offsets);
      else for (const [topic, records] of outputs) await this.opts.log.append(topic, records);
    } catch (e) {
      // Outputs may be partly written: forget this state; it is rebuilt from the last commit and
      // the outputs after it are made again (same ids).
      this.log.warn({ partition: p }, `partition ${p}: writing outputs failed (${(e as Error).message}); rebuilding from the last commit`);
      await this.release(p);
      this.applied = -1;
      return n;
    }
    ph.write += lap();
    for (const records of outputs.values()) this.stats.outputs += records.length;
    // Live-sized rounds only (catch-up rounds of history would swamp it), and the last
    // LATENCY_WINDOW of them: a member runs for weeks, its memory stays flat.
    const arrivals = o.unit.takeSignalArrivals();
    if (n <= LIVE_ROUND_INPUTS && outputs.has(TOPICS.signals.name)) {
      const ackAt = performance.now();
      this.latencies[this.latencyRounds++ % LATENCY_WINDOW] = ackAt - this.boundAt;
      for (const at of arrivals) this.barCloseLatencies[this.barCloseSignals++ % LATENCY_WINDOW] = ackAt - at;
    }
    if (o.producer) this.stats.commits++;
    else {
      o.pending = offsets;
      const committed = await this.commitPending(p, o, false);
      ph.commit += lap();
      if (!committed) return n;
    }
    // Only after the commit: a checkpoint never stands past the group's committed offsets.
    await this.opts.checkpoints?.maybeSave(o.unit, bound, Date.now());
    ph.checkpoint += lap();
    return n;
  }

  /**
   * Commits o.pending (at-least-once), unless an assignment change is under way or arrived since
   * this pass began: a commit sent then goes out in the new generation (kafkajs's consumer
   * commits with its current one), where p may be another member's and that member may already
   * have committed further; the commit would move the group's offsets of p back. Held back or
   * refused (a rebalance answers ILLEGAL_GENERATION or REBALANCE_IN_PROGRESS), the position stays
   * pending and is committed on a later pass if p is still ours. True when committed.
   */
  private async commitPending(p: number, o: Owned, again: boolean): Promise<boolean> {
    const offsets = o.pending;
    if (offsets === null) return true;
    if (this.rebalancing || this.applied !== this.joins || this.consumer === null) return false;
    const consumer = this.consumer;
    const commit = (): Promise<void> => consumer.commitOffsets(offsets);
    try {
      await (this.opts.wrapCommit ? this.opts.wrapCommit(commit, p) : commit());
    } catch (e) {
      // The outputs are durable; only the commit is missing. Tried again on a later pass while p
      // is ours (backing off); a new owner would repeat these outputs with the same ids.
      this.stats.commitFailures++;
      o.retryAt = performance.now() + Math.min(5_000, 100 * 2 ** Math.min(6, o.failures++));
      this.log.warn({ partition: p }, `partition ${p}: commit failed (${(e as Error).message}); committing this position again on a later pass while the partition is ours (a new owner would repeat these outputs with the same ids)`);
      return false;
    }
    if (o.pending === offsets) o.pending = null;
    o.failures = 0;
    this.stats.commits++;
    if (again) {
      this.stats.recommits++;
      this.log.info({ event: 'recommitted', partition: p }, `partition ${p}: committed the position an earlier commit did not record`);
    }
    return true;
  }

  private async commitTransaction(producer: Producer, outputs: Map<string, AppendRecord[]>, offsets: Commit[]): Promise<void> {
    const tx = await producer.transaction();
    try {
      for (const [topic, records] of outputs) {
        const parts = await this.opts.log.partitions(topic);
        for (const chunk of byteChunks(records, PRODUCE_MAX_BYTES)) await tx.send({ topic, acks: -1, messages: kafkaMessages(chunk, parts) });
      }
      const topics = [...new Set(offsets.map((o) => o.topic))].map((topic) => ({ topic, partitions: offsets.filter((o) => o.topic === topic).map(({ partition, offset, metadata }) => ({ partition, offset, ...(metadata !== undefined ? { metadata } : {}) })) }));
      await tx.sendOffsets({ consumerGroupId: this.opts.groupId, topics });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => undefined);
      throw e;
    }
  }

  /** Makes the owned partitions match the latest assignment, rebuilding state where needed. */
  private async applyAssignment(): Promise<void> {
    const target = this.joins;
    const wanted = this.joined ?? [];
    this.stats.assignments++;
    for (const p of [...this.owned.keys()]) if (!wanted.includes(p)) {
      await this.release(p);
      this.log.info({ event: 'handed-over', partition: p }, `partition ${p}: handed over`);
      this.events.emit('handed-over', { partition: p });
    }
    let committed = await this.committedCuts();
    // Exactly-once: fence every partition to be rebuilt BEFORE trusting its committed offsets.
    // Connecting the partition's transactional producer (InitProducerId) waits until any earlier
    // transaction under its id has ended (an earlier owner's, or this member's own failed round
    // whose commit may still be landing): only then are the group's offsets for it final. Read
    // before the fence, a transaction that commits in between is missed, and its outputs are made
    // again (duplicate ids on the topics: found by the 100-kill soak, docs/reliability.md).
    const fenced = new Map<number, Producer>();
    if (this.opts.exactlyOnce) {
      for (const p of wanted) {
        const have = this.owned.get(p);
        if (have !== undefined && cutCovers(have.unit.cut(), committed.get(p) ?? new Map<string, number>())) continue;
        if (have !== undefined) await this.release(p);
        fenced.set(p, await this.transactionalProducer(p));
      }
      if (fenced.size > 0) {
        await this.opts.beforeFencedOffsets?.([...fenced.keys()]);
        committed = await this.committedCuts();
      }
    }
    for (const p of wanted) {
      const cut = committed.get(p) ?? new Map<string, number>();
      const have = this.owned.get(p);
      if (have !== undefined && !fenced.has(p) && cutCovers(have.unit.cut(), cut)) {
        // Kept: ours all along. Where it stands past the committed offsets (a commit failed or was
        // held back by this rebalance), that position is committed on the next pass.
        if (!have.producer && !cutCovers(cut, have.unit.cut())) have.pending = unitCommit(have.unit);
        continue;
      }
      if (have !== undefined) await this.release(p);
      const sink = new LogSink(this.opts.log, { encode: this.opts.encode });
      const onOutput = this.opts.onOutput;
      const stats = this.stats;
      const events = this.events;
      const out: PipelineSink = {
        onEvent(e) {
          sink.onEvent(e);
          if (e.kind === 'signal') stats.signals++;
          else if (e.kind === 'deadLetter') emitDeadLetter(events, e.deadLetter);
          onOutput?.(e);
        },
      };
      const newUnit = (): PartitionUnit => new PartitionUnit(p, { log: this.opts.log, decode: this.opts.decode, predictor: this.opts.predictor, ...(this.opts.config ? { config: this.opts.config } : {}), sink: out, clock: WALL, ...(this.reference ? { reference: this.reference } : {}) });
      let unit = newUnit();
      const producer = this.opts.exactlyOnce ? (fenced.get(p) ?? (await this.transactionalProducer(p))) : null;
      this.opts.checkpoints?.forget(p);
      let fromCheckpoint = 0;
      try {
        fromCheckpoint = (await this.opts.checkpoints?.restore(unit, cut)) ?? 0;
      } catch (e) {
        // A checkpoint whose header matched but whose state did not restore (damaged): the unit
        // may be half restored, so start over with a fresh one from offset 0.
        this.log.warn({ event: 'checkpoint-ignored', partition: p }, `partition ${p}: the checkpoint did not restore (${(e as Error).message}); rebuilding from offset 0`);
        await unit.close();
        unit = newUnit();
      }
      const rebuildAt = performance.now();
      const replayed = await unit.rebuild(cut);
      this.stats.phasesMs.rebuild += performance.now() - rebuildAt;
      this.owned.set(p, { unit, sink, producer, pending: null, retryAt: 0, failures: 0 });
      this.stats.rebuilds.push({ partition: p, inputs: replayed, fromCheckpoint });
      const how = fromCheckpoint > 0 ? `from the checkpoint at input ${fromCheckpoint} and the ${replayed} inputs after it` : `from ${replayed} inputs`;
      this.log.info({ event: 'assigned', partition: p, replayed, fromCheckpoint }, `partition ${p}: assigned; state rebuilt ${how} before the committed offsets`);
      this.events.emit('assigned', { partition: p, replayed, fromCheckpoint });
    }
    // Kept partitions log nothing above: say what the member owns now.
    this.log.info({ event: 'assignment', partitions: wanted }, `assignment: owns ${wanted.length > 0 ? `partitions ${wanted.join(',')}` : 'no partition'}`);
    // A newer join that arrived meanwhile is applied on the next pass.
    this.applied = target;
  }

  /** The group's committed offsets of the input topics, as a cut per partition number (with the reference partition's positions: cutsFromCommitted). */
  private async committedCuts(): Promise<Map<number, Cut>> {
    const res = await withBackoff('fetch committed offsets', () => this.admin!.fetchOffsets({ groupId: this.opts.groupId, topics: [...INPUT_TOPICS] }), DEFAULT_BACKOFF, this.log, this.opts.signal);
    return cutsFromCommitted(res, this.reference?.partition);
  }

  /**
   * One transactional id per partition number: a new owner's InitProducerId fences the old
   * owner's producer, so a paused zombie cannot commit outputs for p any more. kafkajs sends
   * InitProducerId at a producer's first transaction(), not at connect(): an empty transaction is
   * begun and aborted here so the fence stands (and any earlier transaction under the id has
   * ended) when this returns.
   */
  private async transactionalProducer(p: number): Promise<Producer> {
    const producer = this.kafka.producer({ transactionalId: `${this.opts.groupId}-p${p}`, idempotent: true, maxInFlightRequests: 1 });
    await withBackoff(`connect transactional producer for partition ${p}`, () => producer.connect(), DEFAULT_BACKOFF, this.log, this.opts.signal);
    await withBackoff(`fence earlier owners of partition ${p} (transactional id ${this.opts.groupId}-p${p})`, async () => (await producer.transaction()).abort(), DEFAULT_BACKOFF, this.log, this.opts.signal);
    return producer;
  }

  private async release(p: number): Promise<void> {
    const o = this.owned.get(p);
    if (o === undefined) return;
    this.owned.delete(p);
    await o.unit.close();
    await o.producer?.disconnect().catch(() => undefined);
  }
}
