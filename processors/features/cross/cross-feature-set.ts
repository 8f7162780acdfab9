import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import { intervalMs, type Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { DEFAULT_SIGNAL_INTERVAL, finestFirst, isSignalInterval, mtfIntervals, SIGNAL_INTERVALS, type SignalInterval } from '../../signal-interval.ts';
import { FEATURE_NAMES, FEATURE_SET_HASH, SymbolFeatures } from '../feature-set.ts';
import type { FeatureSetDef, FeatureState, ReferenceCloses } from '../full/feature-set-def.ts';
import { RingWindow } from '../ring-window.ts';
import { asRecord, finiteArray, nullableFiniteArray } from '../state-guards.ts';
import { corrBeta, percentileRankOfLast, product, stdOfPresent } from './cross-math.ts';

export const CROSS_FEATURE_SET_ID = 'cross-v1';
/** The reference when none is named: the crypto market's. */
export const DEFAULT_REFERENCE = 'BTCUSDT';
const STATE_VERSION = 1;

export interface CrossOptions {
  /** The symbol every other symbol is compared with. */
  reference: string;
  /** Correlation, beta and the reference's volatility: over the last `corrBars` bar ends. */
  corrBars: number;
  /** Fewest return pairs (both symbols with bars at e and e − interval) for a correlation. */
  minPairs: number;
  /** Relative strength lookback in bars. */
  rsBars: number;
  /** Percentile-rank lookback in bars (the symbol's own last bars, the current one included). */
  rankBars: number;
  /**
   * A symbol's bars wait for the reference at most this many signal bars: past it, the oldest is
   * computed with the cross columns null (a reference that stopped trading holds nobody forever).
   */
  holdBars: number;
}

export const CROSS_DEFAULTS: Omit<CrossOptions, 'reference'> = Object.freeze({ corrBars: 30, minPairs: 20, rsBars: 12, rankBars: 48, holdBars: 12 });

/** The indicators of core-v1 ranked over the lookback. */
const RANKED = ['rsi_14', 'rv_12', 'vol_ratio_20'] as const;

export function crossFeatureNames(o: Omit<CrossOptions, 'reference'>): string[] {
  const w = o.corrBars;
  return [
    ...FEATURE_NAMES,
    `xa_corr_${w}`,
    `xa_beta_${w}`,
    `xa_rs_${o.rsBars}`,
    'xa_ref_ret_1',
    `xa_ref_rv_${w}`,
    ...RANKED.map((n) => `rank_${n}_${o.rankBars}`),
    'ix_ret_1_x_rank_vol_ratio',
    `ix_rs_x_corr`,
    'ix_beta_x_ref_ret_1',
  ];
}

/**
 * core-v1 plus the symbol against a reference symbol and its own recent history. At the
 * signal-interval bar ending at t (interval Δ), with r(s, e) = ln(close(s, e) / close(s, e − Δ))
 * defined only when s has bars ending at e and e − Δ (no filling across gaps):
 * - xa_corr_W, xa_beta_W: Pearson correlation and beta (cov / var of the reference) of the pairs
 *   (r(symbol, e), r(ref, e)) for e in (t − WΔ, t] where both are defined; null under minPairs.
 * - xa_rs_L: ln(c(sym,t)/c(sym,t−LΔ)) − ln(c(ref,t)/c(ref,t−LΔ)), bars at exactly those ends.
 * - xa_ref_ret_1: r(ref, t); xa_ref_rv_W: population std of the reference's defined r(ref, e)
 *   over the same window (a market-volatility proxy where no volatility index is ingested).
 * - rank_<ind>_N: percentile rank (ties averaged, in (0, 1]) of the indicator at t among its
 *   values at the symbol's last N signal bars, t included; null until N values exist.
 * - interactions: ret_1 × rank_vol_ratio, xa_rs × xa_corr, xa_beta × xa_ref_ret_1.
 * The reference's closes come from computeFeatures (`ref`), bounded to ends ≤ t.
 */
class CrossFeatureState implements FeatureState {
  private core = new SymbolFeatures();
  private closes: RingWindow<readonly [number, number]>;
  private ranks: RingWindow<number | null>[];

  constructor(
    readonly symbol: string,
    private readonly signalInterval: SignalInterval,
    private readonly names: readonly string[],
    private readonly o: CrossOptions,
  ) {
    this.closes = new RingWindow(Math.max(o.corrBars, o.rsBars) + 1);
    this.ranks = RANKED.map(() => new RingWindow<number | null>(o.rankBars));
  }

  onBar(bar: Bar): void {
    if (bar.interval !== this.signalInterval) return;
    this.core.onBar(bar);
    this.closes.push([bar.end, bar.close]);
    const v = this.core.vector(null);
    RANKED.forEach((n, k) => (this.ranks[k] as RingWindow<number | null>).push(v[n] ?? null));
  }

  private closeAt(end: number): number | null {
    for (let i = this.closes.length - 1; i >= 0; i--) {
      const [e, c] = this.closes.at(i);
      if (e === end) return c;
      if (e < end) return null;
    }
    return null;
  }

  vector(chainAsOf: (t: number) => OptionChainSnapshot | null, barEnd: number, ref?: ReferenceCloses | null): Record<string, number | null> {
    const values: Record<string, number | null> = this.core.vector(chainAsOf(barEnd));
    const last = this.closes.length > 0 ? this.closes.last()[0] : null;
    if (last !== barEnd) throw new RangeError(`cross-v1(${this.symbol}).vector(${barEnd}): the latest ${this.signalInterval} bar ends at ${String(last)}`);
    const o = this.o;
    const d = intervalMs(this.signalInterval);
    const own = (e: number): number | null => this.closeAt(e);
    const refAt = (e: number): number | null => (ref === null || ref === undefined || e > barEnd ? null : ref(e));
    const ret = (at: (e: number) => number | null, e: number): number | null => {
      const a = at(e);
      const b = at(e - d);
      return a === null || b === null ? null : Math.log(a / b);
    };
    const xs: (number | null)[] = [];
    const ys: (number | null)[] = [];
    for (let k = o.corrBars - 1; k >= 0; k--) {
      const e = barEnd - k * d;
      xs.push(ret(own, e));
      ys.push(ret(refAt, e));
    }
    const { corr, beta } = corrBeta(xs, ys, o.minPairs);
    const rsOwn = ret2(own(barEnd), own(barEnd - o.rsBars * d));
    const rsRef = ret2(refAt(barEnd), refAt(barEnd - o.rsBars * d));
    const rs = rsOwn === null || rsRef === null ? null : rsOwn - rsRef;
    const refRet = ys[ys.length - 1] ?? null;
    values[`xa_corr_${o.corrBars}`] = corr;
    values[`xa_beta_${o.corrBars}`] = beta;
    values[`xa_rs_${o.rsBars}`] = rs;
    values.xa_ref_ret_1 = refRet;
    values[`xa_ref_rv_${o.corrBars}`] = stdOfPresent(ys, o.minPairs);
    const rankOf = (k: number): number | null => {
      const w = this.ranks[k] as RingWindow<number | null>;
      return w.isFull ? percentileRankOfLast(w.toArray()) : null;
    };
    RANKED.forEach((n, k) => (values[`rank_${n}_${o.rankBars}`] = rankOf(k)));
    values.ix_ret_1_x_rank_vol_ratio = product(values.ret_1 ?? null, values[`rank_vol_ratio_20_${o.rankBars}`] ?? null);
    values.ix_rs_x_corr = product(rs, corr);
    values.ix_beta_x_ref_ret_1 = product(beta, refRet);
    const out: Record<string, number | null> = {};
    for (const n of this.names) {
      const x = values[n];
      out[n] = typeof x === 'number' && Number.isFinite(x) ? x : null;
    }
    return out;
  }

  snapshot(): unknown {
    return { v: STATE_VERSION, symbol: this.symbol, core: this.core.snapshot(), closes: this.closes.toArray().map(([e, c]) => [e, c]), ranks: this.ranks.map((w) => w.toArray()) };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'CrossFeatureState');
    if (s.v !== STATE_VERSION) throw new TypeError(`CrossFeatureState: unsupported state version ${String(s.v)}`);
    if (s.symbol !== this.symbol) throw new TypeError(`CrossFeatureState(${this.symbol}): state of ${String(s.symbol)}`);
    if (!Array.isArray(s.closes) || !Array.isArray(s.ranks) || s.ranks.length !== RANKED.length) throw new TypeError('CrossFeatureState: bad state');
    const closes = new RingWindow<readonly [number, number]>(this.closes.capacity);
    closes.load((s.closes as unknown[]).map((p, i) => finiteArray(p, `CrossFeatureState.closes[${i}]`) as unknown as readonly [number, number]));
    const ranks = (s.ranks as unknown[]).map((r, k) => {
      const w = new RingWindow<number | null>(this.o.rankBars);
      w.load(nullableFiniteArray(r, `CrossFeatureState.ranks[${k}]`));
      return w;
    });
    const core = new SymbolFeatures();
    core.restore(s.core);
    this.core = core;
    this.closes = closes;
    this.ranks = ranks;
  }
}

function ret2(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.log(a / b);
}

function positiveInt(x: number, what: string): void {
  if (!(Number.isInteger(x) && x >= 1)) throw new RangeError(`cross-v1: ${what} must be an integer >= 1, got ${x}`);
}

/**
 * cross-v1 at a signal interval (default 5m) against a reference symbol (default BTCUSDT):
 * core-v1's columns, unchanged, then the cross, rank and interaction columns. Its hash covers
 * core-v1's, the interval, the reference and every parameter. Bars: as core-v1's at the interval.
 */
export function crossFeatureSet(signalInterval: SignalInterval = DEFAULT_SIGNAL_INTERVAL, options: Partial<CrossOptions> = {}): FeatureSetDef & { readonly crossOptions: CrossOptions; readonly reference: string; readonly holdBars: number } {
  if (!isSignalInterval(signalInterval)) throw new RangeError(`cross-v1: signalInterval ${String(signalInterval)} is not one of ${SIGNAL_INTERVALS.join(', ')}`);
  const o: CrossOptions = Object.freeze({ reference: DEFAULT_REFERENCE, ...CROSS_DEFAULTS, ...options });
  if (!/^[A-Za-z0-9._:/-]+$/.test(o.reference)) throw new RangeError(`cross-v1: bad reference symbol ${JSON.stringify(o.reference)}`);
  positiveInt(o.corrBars, 'corrBars');
  positiveInt(o.rsBars, 'rsBars');
  positiveInt(o.rankBars, 'rankBars');
  positiveInt(o.holdBars, 'holdBars');
  if (!(Number.isInteger(o.minPairs) && o.minPairs >= 2 && o.minPairs <= o.corrBars)) throw new RangeError(`cross-v1: minPairs must be an integer in [2, corrBars], got ${o.minPairs}`);
  const names = Object.freeze(crossFeatureNames(o));
  const hash = createHash('sha256').update(canonicalJson({ id: CROSS_FEATURE_SET_ID, core: FEATURE_SET_HASH, signalInterval, names, params: o, ranked: RANKED })).digest('hex');
  const finer = mtfIntervals(signalInterval).filter((i) => SIGNAL_INTERVALS.indexOf(i) < SIGNAL_INTERVALS.indexOf(signalInterval));
  return Object.freeze({
    id: CROSS_FEATURE_SET_ID,
    hash,
    names,
    intervals: Object.freeze(finestFirst([...finer, signalInterval])),
    signalInterval,
    reference: o.reference,
    holdBars: o.holdBars,
    create: (symbol: string): FeatureState => new CrossFeatureState(symbol, signalInterval, names, o),
    crossOptions: o,
  });
}

export const CROSS_FEATURE_SET = crossFeatureSet();
