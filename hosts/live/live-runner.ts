import { PushSource } from '../../processors/push-source.ts';
import { runPipeline, type GraphConfig, type PipelineSink } from '../../processors/graph.ts';
import { newGraphStats, type GraphEvent, type GraphStats } from '../../processors/graph-events.ts';
import type { InputEvent, Predictor } from '../../processors/types.ts';
import { MergedReader, type TopicDecoder } from '../merged-reader.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { sleep } from '../../lib/sleep.ts';
import type { GraphCheckpointer } from '../checkpointing.ts';
import { LiveClock } from './live-clock.ts';
import { FeedAppender, type FeedEvent } from './feed-writer.ts';
import { emitDeadLetter, type HostEventEmitter } from '../host-events.ts';
import { PROGRESS_EVERY_INPUTS } from '../replay/replay-progress.ts';

export type { FeedEvent } from './feed-writer.ts';

export interface LiveOptions {
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: TopicDecoder;
  /** Feed events in non-decreasing tsInit order, starting after what the log already holds. */
  feed: Iterator<FeedEvent>;
  /** Appends the feed's events (levelFeedWithLog's, which records the feed's positions); default a plain one. */
  appender?: FeedAppender;
  predictor: Predictor | null;
  sinks: readonly PipelineSink[];
  /** Called after each processed chunk, once its outputs may be flushed (e.g. LogSink.flush). */
  afterChunk: (info: { live: boolean; appendedAtWall: number }) => Promise<void>;
  speed: number;
  /** Stop once market time reaches the live start plus this (ms); undefined = run until aborted. */
  stopAfterMs?: number;
  signal: AbortSignal;
  config?: GraphConfig;
  /** Wall clock for pacing (tests may pass a fake). */
  wallNow?: () => number;
  /** Updated before each drain so sinks can tell catch-up from live and measure lag. */
  status?: LiveStatus;
  /** After each chunk is durably appended, with the chunk's bound T (e.g. to write a progress marker). */
  onAppended?: (t: number) => Promise<void>;
  /** false: only feed the log (processors run elsewhere, e.g. `run processors` on Kafka). */
  process?: boolean;
  /** The counters to update (so a host can export them while running). Default: new ones. */
  stats?: GraphStats;
  /** Checkpoints: catch up from the newest usable one, save between chunks (hosts/checkpointing.ts). */
  checkpoints?: GraphCheckpointer;
  /**
   * Where `catch-up-progress`, `caught-up`, `live` and `dead-letter` are emitted
   * (hosts/host-events.ts); catch-up progress: 0 as it starts (after a checkpoint is restored),
   * then every PROGRESS_EVERY_INPUTS inputs.
   */
  events?: HostEventEmitter;
}

export interface LiveStatus {
  live: boolean;
  /** Wall time (performance.now) when the chunk being processed was durably appended. */
  chunkAppendedAtWall: number;
}

export interface LiveResult {
  stats: GraphStats;
  liveStart: number;
  liveEnd: number;
  catchUpInputs: number;
  appendedInputs: number;
}

const TICK_MS = 25;

/**
 * The graph both live hosts run: the pipeline on `clock` (dead letters also emitted as host
 * events), the merged reader over the log, resumed from the latest checkpoint when there is one.
 */
async function startGraph(
  opts: Pick<FollowOptions, 'log' | 'decode' | 'predictor' | 'sinks' | 'config' | 'stats' | 'events'>,
  clock: LiveClock,
  cps: GraphCheckpointer | undefined,
) {
  const stats = opts.stats ?? newGraphStats();
  const source = new PushSource<InputEvent>();
  const events = opts.events;
  const sinks = events ? [...opts.sinks, { onEvent: (e: GraphEvent): void => void (e.kind === 'deadLetter' && emitDeadLetter(events, e.deadLetter)) }] : opts.sinks;
  const done = runPipeline({ clock, source, sinks, stats, predictor: opts.predictor, ...(opts.config ? { config: opts.config } : {}), ...(cps ? { state: cps.registry } : {}) });
  const reader = new MergedReader(opts.log, opts.decode);
  if (cps) await cps.resume(reader, stats, opts.log);
  const push = (e: InputEvent): void => source.next(e);
  return { stats, source, done, reader, push };
}

/**
 * The live host: paces the feed by a LiveClock, appends its events to the log, and processes the
 * log (not the feed) through the same graph as replay, in the same merged order. Loop invariant:
 * before drain(T), every feed event with tsInit <= T is durably in the log, so each chunk is
 * exactly the next slice of the replay order. First it catches up on what the log already holds.
 */
export async function runLive(opts: LiveOptions): Promise<LiveResult> {
  let next = opts.feed.next();
  const liveStart = next.done ? Number.POSITIVE_INFINITY : next.value.value.tsInit;
  const clock = new LiveClock(Number.isFinite(liveStart) ? liveStart : 0, opts.speed, opts.wallNow);
  const cps = opts.process !== false ? opts.checkpoints : undefined;
  const events = opts.events;
  const { stats, source, done, reader, push } = await startGraph(opts, clock, cps);
  const wall = opts.wallNow ?? ((): number => performance.now());

  const processing = opts.process !== false;
  const drain = (bound: number): Promise<number> => (processing ? reader.drain(bound, push) : Promise.resolve(0));
  const catchUpInputs = processing ? await reader.drain(Number.POSITIVE_INFINITY, withProgress(push, events)) : 0;
  events?.emit('caught-up', { inputs: catchUpInputs });
  await opts.afterChunk({ live: false, appendedAtWall: wall() });
  cps?.maybeSave(reader, stats, Number.NEGATIVE_INFINITY);

  const stopAt = opts.stopAfterMs === undefined ? Number.POSITIVE_INFINITY : liveStart + opts.stopAfterMs;
  const appender = opts.appender ?? new FeedAppender(opts.log, opts.encode);
  let appendedInputs = 0;
  let t = liveStart;
  events?.emit('live', { liveStart, speed: opts.speed });
  while (!opts.signal.aborted && !next.done) {
    t = Math.min(clock.now(), stopAt);
    while (!next.done && next.value.value.tsInit <= t) {
      appender.add(next.value);
      next = opts.feed.next();
    }
    const appended = await appender.flush();
    appendedInputs += appended;
    if (appended > 0) await opts.onAppended?.(t);
    const appendedAtWall = wall();
    if (opts.status) {
      opts.status.live = true;
      opts.status.chunkAppendedAtWall = appendedAtWall;
    }
    if (appended > 0 && (await drain(t)) > 0) {
      await opts.afterChunk({ live: true, appendedAtWall });
      cps?.maybeSave(reader, stats, t);
    }
    if (t >= stopAt) break;
    const wait = next.done ? 0 : Math.min(TICK_MS, Math.max(1, clock.wallDelayUntil(next.value.value.tsInit)));
    await sleep(wait, opts.signal);
  }
  // Drain what was appended before the stop so the log's outputs cover all of its inputs.
  if ((await drain(t)) > 0) await opts.afterChunk({ live: true, appendedAtWall: wall() });
  source.complete();
  await done;
  return { stats, liveStart, liveEnd: t, catchUpInputs, appendedInputs };
}

export interface FollowOptions {
  log: EventLog;
  decode: TopicDecoder;
  predictor: Predictor | null;
  sinks: readonly PipelineSink[];
  afterChunk: (info: { live: boolean; appendedAtWall: number }) => Promise<void>;
  config?: GraphConfig;
  status?: LiveStatus;
  stats?: GraphStats;
  checkpoints?: GraphCheckpointer;
  events?: HostEventEmitter;
  /** Market time now (a real feed: the wall clock, epoch ms). */
  now: () => number;
}

/** A feed that appends to the log by itself (a real venue): the follower is told after each append. */
export interface AppendNotices {
  /** Resolves with the bound T of the next append: every event with tsInit <= T is in the log, none later will have tsInit <= T. Resolves null at the feed's end. */
  next(): Promise<number | null>;
}

/**
 * The live host for a feed that writes the log itself (sources/exchange): after catching up on the
 * log, each append notice drains the log up to its bound, so each chunk is the next slice of the
 * replay order, as in runLive. The feed guarantees strictly increasing tsInit between appends.
 */
export async function followLive(opts: FollowOptions, notices: AppendNotices): Promise<LiveResult> {
  const liveStart = opts.now();
  const clock = new LiveClock(liveStart, 1, opts.now);
  const cps = opts.checkpoints;
  const events = opts.events;
  const { stats, source, done, reader, push } = await startGraph(opts, clock, cps);
  const catchUpInputs = await reader.drain(Number.POSITIVE_INFINITY, withProgress(push, events));
  events?.emit('caught-up', { inputs: catchUpInputs });
  await opts.afterChunk({ live: false, appendedAtWall: performance.now() });
  cps?.maybeSave(reader, stats, Number.NEGATIVE_INFINITY);
  events?.emit('live', { liveStart, speed: 1 });
  let appendedInputs = 0;
  let t = liveStart;
  // Until the feed ends (it stops on the same signal): its last appends are drained too.
  for (;;) {
    const bound = await notices.next();
    if (bound === null) break;
    t = bound;
    const appendedAtWall = performance.now();
    if (opts.status) {
      opts.status.live = true;
      opts.status.chunkAppendedAtWall = appendedAtWall;
    }
    const n = await reader.drain(bound, push);
    appendedInputs += n;
    if (n > 0) {
      await opts.afterChunk({ live: true, appendedAtWall });
      cps?.maybeSave(reader, stats, bound);
    }
  }
  if ((await reader.drain(t, push)) > 0) await opts.afterChunk({ live: true, appendedAtWall: performance.now() });
  source.complete();
  await done;
  return { stats, liveStart, liveEnd: t, catchUpInputs, appendedInputs };
}

/** Append notices as a queue: the feed pushes bounds, the follower takes the latest one. */
export class AppendQueue implements AppendNotices {
  private latest: number | null = null;
  private ended = false;
  private waiter: ((b: number | null) => void) | null = null;

  push(bound: number): void {
    this.latest = Math.max(this.latest ?? bound, bound);
    this.wake();
  }
  end(): void {
    this.ended = true;
    this.wake();
  }
  next(): Promise<number | null> {
    if (this.latest !== null || this.ended) return Promise.resolve(this.take());
    return new Promise((resolve) => (this.waiter = resolve));
  }
  private take(): number | null {
    const b = this.latest;
    this.latest = null;
    return b;
  }
  private wake(): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    w(this.take());
  }
}

/** `push`, emitting `catch-up-progress` with 0 now and every PROGRESS_EVERY_INPUTS inputs after, when anyone listens. */
function withProgress(push: (e: InputEvent) => void, events: HostEventEmitter | undefined): (e: InputEvent) => void {
  if (events === undefined || events.listenerCount('catch-up-progress') === 0) return push;
  events.emit('catch-up-progress', { inputs: 0 });
  let n = 0;
  return (e) => {
    push(e);
    if (++n % PROGRESS_EVERY_INPUTS === 0) events.emit('catch-up-progress', { inputs: n });
  };
}
