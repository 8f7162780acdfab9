import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import { intervalMs, type Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { DEFAULT_SIGNAL_INTERVAL, finestFirst, isSignalInterval, mtfIntervals, SIGNAL_INTERVALS, type SignalInterval } from '../../signal-interval.ts';
import { FEATURE_NAMES, FEATURE_SET_HASH, SymbolFeatures } from '../feature-set.ts';
import type { FeatureSetDef, FeatureState } from '../full/feature-set-def.ts';
import { asRecord } from '../state-guards.ts';
import { BREAKOUT_BARS, PATTERN_NAMES, PATTERNS, STAR_PENETRATION } from './candle-patterns.ts';
import { CANDLE_SETTINGS } from './candle-settings.ts';
import { CONTEXT_BARS, TREND_Z, VOL_REGIME_BARS } from './pattern-context.ts';
import { PatternStatsEngine, type PatternBarResult } from './pattern-engine.ts';
import { PATTERN_STATS_DEFAULTS, type PatternStatsOptions } from './running-stats.ts';

export const PATTERNS_FEATURE_SET_ID = 'patterns-v1';
const STATE_VERSION = 1;

/** Column names: core-v1's, then per pattern its edge, the count fired, the summed edge, and the summed edge on each other timeframe. */
export function patternFeatureNames(signalInterval: SignalInterval): string[] {
  return [...FEATURE_NAMES, ...PATTERN_NAMES.map((n) => `pat_${n}`), 'pat_fired', 'pat_edge', ...mtfIntervals(signalInterval).map((i) => `pat_edge_${i}`)];
}

/** The intervals a patterns set builds bars of and runs the statistics on: the signal interval and its multi-timeframe intervals. */
export function patternIntervals(signalInterval: SignalInterval): string[] {
  return finestFirst([signalInterval, ...mtfIntervals(signalInterval)]);
}

/**
 * core-v1 plus, per symbol and interval, the pattern statistics engine: at each signal-interval bar
 * the edge of every pattern that ends there in the bar's context (0 when none or too few past
 * occurrences), and the summed edge of the latest bar of each other timeframe as of the bar end
 * (null when that timeframe's latest bar is older than one of its intervals: a gap).
 */
class PatternsFeatureState implements FeatureState {
  private readonly core = new SymbolFeatures();
  private engines: Map<string, PatternStatsEngine>;
  private latest = new Map<string, PatternBarResult>();

  constructor(
    readonly symbol: string,
    private readonly signalInterval: SignalInterval,
    private readonly names: readonly string[],
    private readonly o: PatternStatsOptions,
  ) {
    this.engines = makeEngines(signalInterval, o);
  }

  onBar(bar: Bar): void {
    if (bar.interval === this.signalInterval) this.core.onBar(bar);
    const engine = this.engines.get(bar.interval);
    if (engine === undefined) return;
    this.latest.set(bar.interval, engine.add(bar));
  }

  vector(chainAsOf: (t: number) => OptionChainSnapshot | null, barEnd: number): Record<string, number | null> {
    const values: Record<string, number | null> = this.core.vector(chainAsOf(barEnd));
    const own = this.latest.get(this.signalInterval);
    if (own === undefined || own.end !== barEnd) throw new RangeError(`patterns-v1(${this.symbol}).vector(${barEnd}): the latest ${this.signalInterval} bar ends at ${String(own?.end ?? null)}`);
    PATTERNS.forEach((p, k) => {
      values[`pat_${p.name}`] = own.edges[k] ?? null;
    });
    values.pat_fired = own.fired.filter(Boolean).length;
    values.pat_edge = own.edgeSum;
    for (const iv of mtfIntervals(this.signalInterval)) {
      const r = this.latest.get(iv);
      values[`pat_edge_${iv}`] = r !== undefined && r.end <= barEnd && barEnd - r.end <= intervalMs(iv) ? r.edgeSum : null;
    }
    const out: Record<string, number | null> = {};
    for (const n of this.names) {
      const x = values[n];
      out[n] = typeof x === 'number' && Number.isFinite(x) ? x : null;
    }
    return out;
  }

  snapshot(): unknown {
    return {
      v: STATE_VERSION,
      symbol: this.symbol,
      core: this.core.snapshot(),
      engines: [...this.engines].map(([i, e]) => [i, e.snapshot()]),
      latest: [...this.latest].map(([i, r]) => [i, r]),
    };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'PatternsFeatureState');
    if (s.v !== STATE_VERSION) throw new TypeError(`PatternsFeatureState: unsupported state version ${String(s.v)}`);
    if (s.symbol !== this.symbol) throw new TypeError(`PatternsFeatureState(${this.symbol}): state of ${String(s.symbol)}`);
    if (!Array.isArray(s.engines) || !Array.isArray(s.latest)) throw new TypeError('PatternsFeatureState: bad state');
    const engines = makeEngines(this.signalInterval, this.o);
    const raw = new Map(s.engines as [string, unknown][]);
    for (const [i, e] of engines) {
      if (!raw.has(i)) throw new TypeError(`PatternsFeatureState.engines: missing ${i}`);
      e.restore(raw.get(i));
    }
    const latest = new Map<string, PatternBarResult>();
    for (const [i, r] of s.latest as [string, PatternBarResult][]) {
      if (!engines.has(i) || typeof r !== 'object' || r === null || !Array.isArray(r.edges) || !Array.isArray(r.fired)) throw new TypeError(`PatternsFeatureState.latest: bad entry ${String(i)}`);
      latest.set(i, r);
    }
    this.core.restore(s.core);
    this.engines = engines;
    this.latest = latest;
  }
}

function makeEngines(signalInterval: SignalInterval, o: PatternStatsOptions): Map<string, PatternStatsEngine> {
  return new Map(patternIntervals(signalInterval).map((i) => [i, new PatternStatsEngine(intervalMs(i), o)]));
}

/**
 * patterns-v1 at a signal interval (default 5m): core-v1's columns, unchanged, then the pattern
 * columns. Its hash covers core-v1's, the interval, every pattern's definition source and lookback,
 * the candle settings and the statistics' parameters.
 */
export function patternsFeatureSet(signalInterval: SignalInterval = DEFAULT_SIGNAL_INTERVAL, options: Partial<PatternStatsOptions> = {}): FeatureSetDef & { readonly statsOptions: PatternStatsOptions } {
  if (!isSignalInterval(signalInterval)) throw new RangeError(`patterns-v1: signalInterval ${String(signalInterval)} is not one of ${SIGNAL_INTERVALS.join(', ')}`);
  const o: PatternStatsOptions = Object.freeze({ ...PATTERN_STATS_DEFAULTS, ...options });
  if (!(Number.isInteger(o.horizonBars) && o.horizonBars >= 1)) throw new RangeError(`patterns-v1: horizonBars must be an integer >= 1, got ${o.horizonBars}`);
  if (!(Number.isInteger(o.minCount) && o.minCount >= 2)) throw new RangeError(`patterns-v1: minCount must be an integer >= 2, got ${o.minCount}`);
  if (!(Number.isFinite(o.priorStrength) && o.priorStrength >= 0)) throw new RangeError(`patterns-v1: priorStrength must be >= 0, got ${o.priorStrength}`);
  const names = Object.freeze(patternFeatureNames(signalInterval));
  const hash = createHash('sha256')
    .update(
      canonicalJson({
        id: PATTERNS_FEATURE_SET_ID,
        core: FEATURE_SET_HASH,
        signalInterval,
        names,
        patterns: PATTERNS.map((p) => ({ name: p.name, source: p.source, lookback: p.lookback })),
        candleSettings: CANDLE_SETTINGS,
        params: { ...o, starPenetration: STAR_PENETRATION, breakoutBars: BREAKOUT_BARS, contextBars: CONTEXT_BARS, volRegimeBars: VOL_REGIME_BARS, trendZ: TREND_Z },
      }),
    )
    .digest('hex');
  const create = (symbol: string): PatternsFeatureState => new PatternsFeatureState(symbol, signalInterval, names, o);
  return Object.freeze({
    id: PATTERNS_FEATURE_SET_ID,
    hash,
    names,
    intervals: Object.freeze(patternIntervals(signalInterval)),
    signalInterval,
    create,
    statsOptions: o,
  });
}

export const PATTERNS_FEATURE_SET = patternsFeatureSet();
