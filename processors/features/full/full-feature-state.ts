import { intervalMs, type Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import type { CalendarName } from '../../calendar/index.ts';
import { nearestLiveExpiry } from '../chain/live-expiry.ts';
import { asRecord, nullableFinite } from '../state-guards.ts';
import { earlier, liveExpiries, pcrFromSums, sumOiAt, sumOiByRight, velocity } from './chain/oi-flow.ts';
import type { PricingAssumptions } from './chain/resolved-chain.ts';
import { SNAPSHOT_FEATURE_NAMES, snapshotFeatures, type SnapshotFeatures } from './chain/snapshot-features.ts';
import type { FeatureState } from './feature-set-def.ts';
import { mtfIntervals, type SignalInterval } from '../../signal-interval.ts';
import type { FullFeatureOptions } from './full-feature-defs.ts';
import { IvRank } from './iv-rank.ts';
import { MTF_FEATURE_NAMES, MultiTimeframeBlock, put } from './multi-timeframe-block.ts';
import { SIGNAL_BAR_FEATURE_NAMES, SignalBarFeatures } from './signal-bar-features.ts';
import { dayOfWeek, hoursToExpiry, minutesSinceOpen } from './time-features.ts';

const STATE_VERSION = 1;
const MIN = 60_000;
type SnapshotFeatureName = (typeof SNAPSHOT_FEATURE_NAMES)[number];

/**
 * full-v1 for one symbol. Bars of the signal interval and its multi-timeframe intervals (5m: 1m,
 * 15m, 1h) drive one MultiTimeframeBlock each; signal-interval bars also drive SignalBarFeatures.
 * vector() reads each block as it stands: bars are fed in close order with smaller intervals
 * first at equal ends, so at a 5m close the 1m bar ending then is in, while a 15m or 1h bar
 * ending at the same instant is not yet (the previous one is used): no look-ahead.
 * The IV rank is the only state vector() changes; a second vector() at the same barEnd replaces
 * rather than adds, so the call is repeatable.
 */
export class FullFeatureState implements FeatureState {
  private readonly signalInterval: SignalInterval;
  private blocks: Map<string, MultiTimeframeBlock>;
  private signal = new SignalBarFeatures();
  private ivRank: IvRank;
  private ivBarEnd: number | null = null;
  private lastSignalEnd: number | null = null;
  // Snapshot features depend only on the snapshot object: cached, not part of the state.
  private cachedChain: OptionChainSnapshot | null = null;
  private cachedFeatures: SnapshotFeatures;
  /**
   * Of the latest chains (newest last, at most RECENT_SUMS): their OI sums (OI velocities, the
   * PCR OI change). The chains as of 5 and 15 minutes before a 5-minute close are the current chains
   * of earlier vectors, so their sums over the same expiries are usually here already (D162).
   */
  private recent: ChainSums[] = [];
  /** The blocks in makeBlocks' order (signal interval first), for vector(). */
  private blockList: MultiTimeframeBlock[];
  /** Where each computed value goes in `names` (-1 = not a column), and the reused row. */
  private readonly cols: Columns;
  private readonly scratch: Float64Array;

  constructor(
    readonly symbol: string,
    readonly names: readonly string[],
    private readonly opts: FullFeatureOptions & { calendar: CalendarName },
    private readonly pricing: PricingAssumptions,
  ) {
    this.signalInterval = opts.signalInterval;
    this.blocks = makeBlocks(opts.signalInterval);
    this.blockList = [...this.blocks.values()];
    this.cols = columnsOf(names, [...this.blocks.keys()], opts.signalInterval);
    this.scratch = new Float64Array(names.length);
    this.ivRank = new IvRank(opts.ivLookback, opts.ivMinPeriods);
    this.cachedFeatures = snapshotFeatures(null, pricing);
  }

  onBar(bar: Bar): void {
    if (bar.symbol !== this.symbol) throw new RangeError(`FullFeatureState(${this.symbol}) fed a ${bar.symbol} bar`);
    const block = this.blocks.get(bar.interval);
    if (block === undefined) return; // an interval this set does not use
    block.add(bar);
    if (bar.interval === this.signalInterval) {
      this.signal.add(bar);
      this.lastSignalEnd = bar.end;
    }
  }

  vector(chainAsOf: (t: number) => OptionChainSnapshot | null, barEnd: number): Record<string, number | null> {
    if (barEnd !== this.lastSignalEnd) {
      throw new RangeError(`FullFeatureState(${this.symbol}).vector(${barEnd}): the latest ${this.signalInterval} bar ends at ${String(this.lastSignalEnd)}`);
    }
    const chain = chainAsOf(barEnd);
    if (chain !== this.cachedChain) {
      this.cachedChain = chain;
      this.cachedFeatures = snapshotFeatures(chain, this.pricing);
      if (chain !== null && sumsOf(this.recent, chain) === null) {
        this.recent.push(chainSums(chain));
        if (this.recent.length > RECENT_SUMS) this.recent.shift();
      }
    }
    const snap = this.cachedFeatures;
    const iv = this.ivBarEnd === barEnd ? this.ivRank.replace(snap.atm_iv) : this.ivRank.add(snap.atm_iv);
    this.ivBarEnd = barEnd;
    // Every column is written into one reused Float64Array (null as NaN) at a precomputed index,
    // then the record is built once in column order (decision D51): no intermediate records, no
    // key strings per vector.
    const x = this.scratch;
    const c = this.cols;
    x.fill(Number.NaN);
    for (let k = 0; k < SNAPSHOT_FEATURE_NAMES.length; k++) put(x, c.snap[k] as number, snap[SNAPSHOT_FEATURE_NAMES[k] as SnapshotFeatureName]);
    put(x, c.atmIvRank, iv?.rank ?? null);
    put(x, c.atmIvPctl, iv?.percentile ?? null);
    if (chain !== null) {
      const c5 = chainAsOf(barEnd - 5 * MIN);
      const c15 = chainAsOf(barEnd - 15 * MIN);
      // pcrOiChange's and oiVelocity's sums (oi-flow.ts), each computed once per chain and
      // expiry set: the same sums, added in the same order.
      const now = sumsOf(this.recent, chain) ?? chainSums(chain);
      const e0 = now.e0;
      put(x, c.pcrOiChange, e0 === null || !earlier(chain, c5) ? null : pcrFromSums({ call: now.e0Call, put: now.e0Put }, nearestSumsOf(this.recent, c5, e0)));
      const live = now.live;
      const then5 = earlier(chain, c5) ? liveSumsOf(this.recent, c5, live) : null;
      const then15 = earlier(chain, c15) ? liveSumsOf(this.recent, c15, live) : null;
      put(x, c.oiVelCall5m, then5 === null ? null : velocity(then5.call, now.call));
      put(x, c.oiVelPut5m, then5 === null ? null : velocity(then5.put, now.put));
      put(x, c.oiVelCall15m, then15 === null ? null : velocity(then15.call, now.call));
      put(x, c.oiVelPut15m, then15 === null ? null : velocity(then15.put, now.put));
    }
    put(x, c.minutesSinceOpen, minutesSinceOpen(this.opts.calendar, barEnd));
    put(x, c.hoursToExpiry, hoursToExpiry(chain, barEnd));
    put(x, c.dayOfWeek, dayOfWeek(this.opts.calendar, barEnd));
    const blocks = this.blockList;
    for (let k = 0; k < blocks.length; k++) (blocks[k] as MultiTimeframeBlock).writeAt(barEnd, x, c.blocks[k] as Int32Array);
    const sb = blocks[0] as MultiTimeframeBlock; // the signal interval's block
    this.signal.writeInto(x, c.signal, sb.ret1At(barEnd), sb.rv10At(barEnd));
    const names = this.names;
    const out: Record<string, number | null> = {};
    for (let k = 0; k < names.length; k++) {
      const v = x[k] as number;
      out[names[k] as string] = Number.isFinite(v) ? v : null;
    }
    return out;
  }

  snapshot(): unknown {
    const blocks: Record<string, unknown> = {};
    for (const [k, b] of this.blocks) blocks[k] = b.snapshot();
    return {
      v: STATE_VERSION,
      symbol: this.symbol,
      lastSignalEnd: this.lastSignalEnd,
      blocks,
      signal: this.signal.snapshot(),
      ivRank: this.ivRank.snapshot(),
      ivBarEnd: this.ivBarEnd,
    };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'FullFeatureState');
    if (s.v !== STATE_VERSION) throw new TypeError(`FullFeatureState: unsupported state version ${String(s.v)}`);
    if (s.symbol !== this.symbol) throw new TypeError(`FullFeatureState(${this.symbol}): state of ${String(s.symbol)}`);
    const lastSignalEnd = nullableFinite(s.lastSignalEnd, 'FullFeatureState.lastSignalEnd');
    const ivBarEnd = nullableFinite(s.ivBarEnd, 'FullFeatureState.ivBarEnd');
    const rawBlocks = asRecord(s.blocks, 'FullFeatureState.blocks');
    // Restore into fresh parts and swap at the end, so a bad state leaves this one untouched.
    const blocks = makeBlocks(this.signalInterval);
    for (const [k, b] of blocks) {
      if (!(k in rawBlocks)) throw new TypeError(`FullFeatureState.blocks: missing ${k}`);
      b.restore(rawBlocks[k]);
    }
    const signal = new SignalBarFeatures();
    signal.restore(s.signal);
    const ivRank = new IvRank(this.opts.ivLookback, this.opts.ivMinPeriods);
    ivRank.restore(s.ivRank);
    this.blocks = blocks;
    this.blockList = [...blocks.values()];
    this.signal = signal;
    this.ivRank = ivRank;
    this.ivBarEnd = ivBarEnd;
    this.lastSignalEnd = lastSignalEnd;
    this.cachedChain = null;
    this.cachedFeatures = snapshotFeatures(null, this.pricing);
    this.recent = [];
  }
}

/** How many recent chains' OI sums a state keeps: the current one and those 5 and 15 minutes older. */
const RECENT_SUMS = 4;

/** A chain's OI sums: Σ OI of calls and puts over its live expiries, and over its nearest live expiry alone. */
interface ChainSums {
  readonly chain: OptionChainSnapshot;
  readonly live: ReadonlySet<number>;
  readonly call: number;
  readonly put: number;
  readonly e0: number | null;
  readonly e0Call: number;
  readonly e0Put: number;
}

function chainSums(chain: OptionChainSnapshot): ChainSums {
  const live = liveExpiries(chain);
  const { call, put } = sumOiByRight(chain, live);
  const e0 = nearestLiveExpiry(chain);
  const near = e0 === null ? { call: 0, put: 0 } : sumOiAt(chain, e0);
  return { chain, live, call, put, e0, e0Call: near.call, e0Put: near.put };
}

function sumsOf(recent: readonly ChainSums[], chain: OptionChainSnapshot): ChainSums | null {
  for (let i = recent.length - 1; i >= 0; i--) if ((recent[i] as ChainSums).chain === chain) return recent[i] as ChainSums;
  return null;
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** sumOiByRight(then, live), from the recent sums when they were taken over the same expiries. */
function liveSumsOf(recent: readonly ChainSums[], then: OptionChainSnapshot, live: ReadonlySet<number>): { call: number; put: number } {
  const s = sumsOf(recent, then);
  return s !== null && sameSet(s.live, live) ? s : sumOiByRight(then, live);
}

/** Σ OI of calls and puts of expiry e0 (sumOi(then, right, {e0}) per right), from the recent sums when they are of e0. */
function nearestSumsOf(recent: readonly ChainSums[], then: OptionChainSnapshot, e0: number): { call: number; put: number } {
  const s = sumsOf(recent, then);
  return s !== null && s.e0 === e0 ? { call: s.e0Call, put: s.e0Put } : sumOiAt(then, e0);
}

interface Columns {
  snap: Int32Array;
  atmIvRank: number;
  atmIvPctl: number;
  pcrOiChange: number;
  oiVelCall5m: number;
  oiVelPut5m: number;
  oiVelCall15m: number;
  oiVelPut15m: number;
  minutesSinceOpen: number;
  hoursToExpiry: number;
  dayOfWeek: number;
  /** Per block (makeBlocks' order): the columns of MTF_FEATURE_NAMES, suffixed off the signal interval. */
  blocks: Int32Array[];
  signal: Int32Array;
}

/** The column index of every value vector() computes, once per state: -1 where `names` lacks it. */
function columnsOf(names: readonly string[], intervals: readonly string[], signalInterval: string): Columns {
  const index = new Map(names.map((n, i) => [n, i]));
  const at = (n: string): number => index.get(n) ?? -1;
  const all = (ns: readonly string[]): Int32Array => Int32Array.from(ns, at);
  return {
    snap: all(SNAPSHOT_FEATURE_NAMES),
    atmIvRank: at('atm_iv_rank'),
    atmIvPctl: at('atm_iv_pctl'),
    pcrOiChange: at('pcr_oi_change'),
    oiVelCall5m: at('oi_vel_call_5m'),
    oiVelPut5m: at('oi_vel_put_5m'),
    oiVelCall15m: at('oi_vel_call_15m'),
    oiVelPut15m: at('oi_vel_put_15m'),
    minutesSinceOpen: at('minutes_since_open'),
    hoursToExpiry: at('hours_to_expiry'),
    dayOfWeek: at('day_of_week'),
    blocks: intervals.map((i) => all(MTF_FEATURE_NAMES.map((n) => (i === signalInterval ? n : `${n}_${i}`)))),
    signal: all(SIGNAL_BAR_FEATURE_NAMES),
  };
}

function makeBlocks(signal: SignalInterval): Map<string, MultiTimeframeBlock> {
  return new Map([signal, ...mtfIntervals(signal)].map((i) => [i, new MultiTimeframeBlock(intervalMs(i))]));
}
