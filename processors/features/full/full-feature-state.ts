import { intervalMs, type Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import type { CalendarName } from '../../calendar/index.ts';
import { nearestLiveExpiry } from '../chain/live-expiry.ts';
import { asRecord, nullableFinite } from '../state-guards.ts';
import { oiVelocity, pcrOiChange } from './chain/oi-flow.ts';
import type { PricingAssumptions } from './chain/resolved-chain.ts';
import { snapshotFeatures, type SnapshotFeatures } from './chain/snapshot-features.ts';
import type { FeatureState } from './feature-set-def.ts';
import { mtfIntervals, type SignalInterval } from '../../signal-interval.ts';
import type { FullFeatureOptions } from './full-feature-defs.ts';
import { IvRank } from './iv-rank.ts';
import { MultiTimeframeBlock } from './multi-timeframe-block.ts';
import { SignalBarFeatures } from './signal-bar-features.ts';
import { dayOfWeek, hoursToExpiry, minutesSinceOpen } from './time-features.ts';

const STATE_VERSION = 1;
const MIN = 60_000;

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

  constructor(
    readonly symbol: string,
    readonly names: readonly string[],
    private readonly opts: FullFeatureOptions & { calendar: CalendarName },
    private readonly pricing: PricingAssumptions,
  ) {
    this.signalInterval = opts.signalInterval;
    this.blocks = makeBlocks(opts.signalInterval);
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
    }
    const snap = this.cachedFeatures;
    const iv = this.ivBarEnd === barEnd ? this.ivRank.replace(snap.atm_iv) : this.ivRank.add(snap.atm_iv);
    this.ivBarEnd = barEnd;
    const values: Record<string, number | null> = { ...snap, atm_iv_rank: iv?.rank ?? null, atm_iv_pctl: iv?.percentile ?? null };
    if (chain !== null) {
      const c5 = chainAsOf(barEnd - 5 * MIN);
      const c15 = chainAsOf(barEnd - 15 * MIN);
      const e0 = nearestLiveExpiry(chain);
      values.pcr_oi_change = e0 === null ? null : pcrOiChange(chain, c5, e0);
      values.oi_vel_call_5m = oiVelocity(chain, c5, 'C');
      values.oi_vel_put_5m = oiVelocity(chain, c5, 'P');
      values.oi_vel_call_15m = oiVelocity(chain, c15, 'C');
      values.oi_vel_put_15m = oiVelocity(chain, c15, 'P');
    }
    values.minutes_since_open = minutesSinceOpen(this.opts.calendar, barEnd);
    values.hours_to_expiry = hoursToExpiry(chain, barEnd);
    values.day_of_week = dayOfWeek(this.opts.calendar, barEnd);
    for (const [interval, block] of this.blocks) {
      const s = interval === this.signalInterval ? '' : `_${interval}`;
      const v = block.valuesAt(barEnd);
      values[`ret_1${s}`] = v.ret_1;
      values[`rsi_14${s}`] = v.rsi_14;
      values[`rv_10${s}`] = v.rv_10;
      values[`bb_pctb_20${s}`] = v.bb_pctb_20;
    }
    Object.assign(values, this.signal.values({ ret_1: values.ret_1 ?? null, rv_10: values.rv_10 ?? null }));
    const out: Record<string, number | null> = {};
    for (const n of this.names) {
      const x = values[n];
      out[n] = typeof x === 'number' && Number.isFinite(x) ? x : null;
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
    this.signal = signal;
    this.ivRank = ivRank;
    this.ivBarEnd = ivBarEnd;
    this.lastSignalEnd = lastSignalEnd;
    this.cachedChain = null;
    this.cachedFeatures = snapshotFeatures(null, this.pricing);
  }
}

function makeBlocks(signal: SignalInterval): Map<string, MultiTimeframeBlock> {
  return new Map([signal, ...mtfIntervals(signal)].map((i) => [i, new MultiTimeframeBlock(intervalMs(i))]));
}
