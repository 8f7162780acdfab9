import { count, finiteArray } from '../state-guards.ts';

/** Defaults of the pattern statistics, visible in one place (docs/patterns.md explains each). */
export interface PatternStatsOptions {
  readonly horizonBars: number;
  readonly minCount: number;
  readonly priorStrength: number;
}

export const PATTERN_STATS_DEFAULTS: PatternStatsOptions = Object.freeze({
  /** Forward return horizon in bars of the pattern's interval (the dataset label's horizon). */
  horizonBars: 6,
  /** Fewer past occurrences in a context than this: no edge (0 as a feature, null in the table). */
  minCount: 30,
  /** Prior strength κ in pseudo-occurrences: the shrunk mean is (n·mean + κ·baseline) / (n + κ). */
  priorStrength: 20,
});


export interface StatsSummary {
  count: number;
  winRate: number | null;
  meanReturn: number | null;
  /** mean / (sample std / √n); null below minCount or when the std is 0. */
  t: number | null;
  /** The Bayesian shrunk mean forward return; null below minCount. */
  shrunk: number | null;
  /**
   * Information coefficient: Pearson correlation between the edge the features gave at each
   * occurrence (known then) and the forward return that followed; null below minCount or when
   * either does not vary (the first minCount occurrences all had edge 0).
   */
  ic: number | null;
}

/**
 * Count, wins and Welford mean / sum of squared deviations of forward log returns r, with the
 * co-moment of r and the edge x predicted at the occurrence, added one at a time in bar order (a
 * fixed reduction order: replays give the same bits).
 */
export class RunningStats {
  n = 0;
  wins = 0;
  mean = 0;
  m2 = 0;
  meanX = 0;
  m2x = 0;
  cxy = 0;

  add(r: number, x = 0): void {
    this.n++;
    if (r > 0) this.wins++;
    const d = r - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (r - this.mean);
    const dx = x - this.meanX;
    this.meanX += dx / this.n;
    this.m2x += dx * (x - this.meanX);
    this.cxy += dx * (r - this.mean);
  }

  /**
   * The summary against `baseline` (the mean forward return of every bar in the same context):
   * normal–normal shrinkage with the prior N(baseline, σ²/κ), whose posterior mean is
   * (n·mean + κ·baseline) / (n + κ).
   */
  summary(baseline: number, o: PatternStatsOptions): StatsSummary {
    const n = this.n;
    if (n === 0) return { count: 0, winRate: null, meanReturn: null, t: null, shrunk: null, ic: null };
    const enough = n >= o.minCount;
    const sd = n > 1 ? Math.sqrt(this.m2 / (n - 1)) : 0;
    return {
      count: n,
      winRate: this.wins / n,
      meanReturn: this.mean,
      t: enough && sd > 0 ? this.mean / (sd / Math.sqrt(n)) : null,
      shrunk: enough ? (n * this.mean + o.priorStrength * baseline) / (n + o.priorStrength) : null,
      ic: enough && this.m2 > 0 && this.m2x > 0 ? this.cxy / Math.sqrt(this.m2 * this.m2x) : null,
    };
  }

  /** The edge feature: shrunk mean minus the baseline, 0 below minCount (no edge, not a noisy one). */
  edge(baseline: number, o: PatternStatsOptions): number {
    if (this.n < o.minCount) return 0;
    return (this.n / (this.n + o.priorStrength)) * (this.mean - baseline);
  }

  snapshot(): number[] {
    return [this.n, this.wins, this.mean, this.m2, this.meanX, this.m2x, this.cxy];
  }

  static restore(x: unknown, what: string): RunningStats {
    const a = finiteArray(x, what);
    if (a.length !== 7) throw new TypeError(`${what}: expected [n, wins, mean, m2, meanX, m2x, cxy]`);
    const s = new RunningStats();
    s.n = count(a[0], `${what}.n`);
    s.wins = count(a[1], `${what}.wins`);
    s.mean = a[2] as number;
    s.m2 = a[3] as number;
    s.meanX = a[4] as number;
    s.m2x = a[5] as number;
    s.cxy = a[6] as number;
    return s;
  }
}
