import type { Bar } from '../../../schemas/bar.ts';
import { RingWindow } from '../ring-window.ts';
import { asRecord, count, finiteArray, finiteNumber } from '../state-guards.ts';
import { PATTERN_NAMES, PATTERN_WINDOW, PATTERNS, detectPatterns } from './candle-patterns.ts';
import type { Candle } from './candle-settings.ts';
import { ContextTracker, TRENDS, VOL_REGIMES, type PatternContext } from './pattern-context.ts';
import { RunningStats, type PatternStatsOptions, type StatsSummary } from './running-stats.ts';

/** The pseudo-pattern "every bar": the baseline each pattern's statistics are shrunk toward. */
export const ALL_BARS = 'all_bars';

const STATE_VERSION = 1;

interface Pending {
  /** End of the bar whose close completes the forward return. */
  target: number;
  close: number;
  /** Cells (pattern|trend|vol) the outcome goes to, the baseline cell first. */
  keys: string[];
  /** The edge the features gave for each key at the occurrence (all_bars: the summed edge). */
  edges: number[];
}

/** What one bar gives: the patterns ending at it and, per pattern, its edge in the bar's context. */
export interface PatternBarResult {
  end: number;
  fired: boolean[];
  context: PatternContext | null;
  /** Per PATTERNS entry: null while the pattern or the context warms up, 0 when not fired or too few past occurrences. */
  edges: (number | null)[];
  /** Sum of edges of the fired patterns (PATTERNS order); null while the context warms up. */
  edgeSum: number | null;
}

export interface PatternTableRow extends StatsSummary {
  pattern: string;
  context: string;
  trend: string;
  vol: string;
  /** The mean forward return of every bar in the same context (what `shrunk` is shrunk toward). */
  baselineMean: number | null;
}

const cellKey = (pattern: string, c: PatternContext): string => `${pattern}|${c.trend}|${c.vol}`;

/**
 * The pattern statistics of one symbol on one bar interval, point in time. On each bar (in end
 * order): (1) outcomes whose horizon ends at this bar are now known and enter the statistics (an
 * occurrence at bar t has forward return ln(close at t + H intervals / close at t); when that bar
 * never comes, a gap, the occurrence is dropped and counted); (2) the patterns ending at this bar
 * are detected and the context computed; (3) each fired pattern's edge is read from the statistics
 * as they stand, i.e. from outcomes known by this bar's close only; (4) this bar's occurrences wait
 * for their outcome. Nothing is read from a later bar, so perturbing later bars cannot change
 * anything this bar gave (test/unit/features/pattern-stats.test.ts).
 */
export class PatternStatsEngine {
  private window = new RingWindow<Candle>(PATTERN_WINDOW);
  private ctx = new ContextTracker();
  private pending: Pending[] = [];
  private cells = new Map<string, RunningStats>();
  private lastEnd: number | null = null;
  private expired = 0;

  constructor(
    readonly intervalMs: number,
    private readonly o: PatternStatsOptions,
  ) {}

  get droppedOccurrences(): number {
    return this.expired;
  }

  add(bar: Bar): PatternBarResult {
    if (this.lastEnd !== null && bar.end <= this.lastEnd) throw new RangeError(`PatternStatsEngine(${bar.interval}): bar ending ${bar.end} is not after ${this.lastEnd}`);
    this.lastEnd = bar.end;
    this.mature(bar);
    this.window.push({ open: bar.open, high: bar.high, low: bar.low, close: bar.close });
    const fired = detectPatterns(this.window.toArray());
    const context = this.ctx.add(bar.close);
    const edges: (number | null)[] = PATTERNS.map((p, k) => {
      if (context === null || this.window.length <= p.lookback) return null;
      return fired[k] ? this.edgeOf(p.name, context) : 0;
    });
    let edgeSum: number | null = null;
    if (context !== null) {
      edgeSum = 0;
      for (const e of edges) edgeSum += e ?? 0;
      const keys = [cellKey(ALL_BARS, context)];
      const predicted = [edgeSum];
      PATTERNS.forEach((p, k) => {
        if (!fired[k]) return;
        keys.push(cellKey(p.name, context));
        predicted.push(edges[k] ?? 0);
      });
      if (bar.close > 0) this.pending.push({ target: bar.end + this.o.horizonBars * this.intervalMs, close: bar.close, keys, edges: predicted });
    }
    return { end: bar.end, fired, context, edges, edgeSum };
  }

  private mature(bar: Bar): void {
    let k = 0;
    for (; k < this.pending.length; k++) {
      const p = this.pending[k] as Pending;
      if (p.target > bar.end) break;
      if (p.target < bar.end || !(bar.close > 0)) {
        this.expired++;
        continue;
      }
      const r = Math.log(bar.close / p.close);
      p.keys.forEach((key, j) => {
        let s = this.cells.get(key);
        if (s === undefined) this.cells.set(key, (s = new RunningStats()));
        s.add(r, p.edges[j] ?? 0);
      });
    }
    if (k > 0) this.pending.splice(0, k);
  }

  private baseline(c: PatternContext): number {
    const b = this.cells.get(cellKey(ALL_BARS, c));
    return b === undefined || b.n === 0 ? 0 : b.mean;
  }

  private edgeOf(pattern: string, c: PatternContext): number {
    const s = this.cells.get(cellKey(pattern, c));
    return s === undefined ? 0 : s.edge(this.baseline(c), this.o);
  }

  /** Every (pattern, context) cell with at least one known outcome, all_bars first, then PATTERNS order, trend, vol. */
  table(intervalLabel: string): PatternTableRow[] {
    const rows: PatternTableRow[] = [];
    for (const pattern of [ALL_BARS, ...PATTERN_NAMES]) {
      for (const trend of TRENDS) {
        for (const vol of VOL_REGIMES) {
          const c: PatternContext = { trend, vol };
          const s = this.cells.get(cellKey(pattern, c));
          if (s === undefined) continue;
          const base = this.cells.get(cellKey(ALL_BARS, c));
          const { count, winRate, meanReturn, t, shrunk, ic } = s.summary(this.baseline(c), this.o);
          rows.push({ pattern, context: `${intervalLabel}|trend:${trend}|vol:${vol}`, count, winRate, meanReturn, t, shrunk, ic, baselineMean: base ? base.mean : null, trend, vol });
        }
      }
    }
    return rows;
  }

  snapshot(): unknown {
    return {
      v: STATE_VERSION,
      window: this.window.toArray().map((c) => [c.open, c.high, c.low, c.close]),
      ctx: this.ctx.snapshot(),
      pending: this.pending.map((p) => [p.target, p.close, p.keys, p.edges]),
      cells: [...this.cells].map(([k, s]) => [k, s.snapshot()]),
      lastEnd: this.lastEnd,
      expired: this.expired,
    };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'PatternStatsEngine');
    if (s.v !== STATE_VERSION) throw new TypeError(`PatternStatsEngine: unsupported state version ${String(s.v)}`);
    if (!Array.isArray(s.window) || !Array.isArray(s.pending) || !Array.isArray(s.cells)) throw new TypeError('PatternStatsEngine: bad state');
    const window = new RingWindow<Candle>(PATTERN_WINDOW);
    for (const [i, c] of (s.window as unknown[]).entries()) {
      if (!Array.isArray(c) || c.length !== 4) throw new TypeError(`PatternStatsEngine.window[${i}]: expected [o, h, l, c]`);
      const [open, high, low, close] = c.map((x: unknown) => finiteNumber(x, `PatternStatsEngine.window[${i}]`));
      window.push({ open: open as number, high: high as number, low: low as number, close: close as number });
    }
    const ctx = new ContextTracker();
    ctx.restore(s.ctx);
    const pending: Pending[] = (s.pending as unknown[]).map((p, i) => {
      if (!Array.isArray(p) || p.length !== 4 || !Array.isArray(p[2]) || !p[2].every((k) => typeof k === 'string')) throw new TypeError(`PatternStatsEngine.pending[${i}]: bad entry`);
      const edges = finiteArray(p[3], `PatternStatsEngine.pending[${i}].edges`);
      if (edges.length !== p[2].length) throw new TypeError(`PatternStatsEngine.pending[${i}]: ${edges.length} edges for ${p[2].length} cells`);
      return { target: finiteNumber(p[0], 'pending.target'), close: finiteNumber(p[1], 'pending.close'), keys: p[2], edges };
    });
    const cells = new Map<string, RunningStats>();
    for (const [i, e] of (s.cells as unknown[]).entries()) {
      if (!Array.isArray(e) || typeof e[0] !== 'string') throw new TypeError(`PatternStatsEngine.cells[${i}]: bad entry`);
      cells.set(e[0], RunningStats.restore(e[1], `PatternStatsEngine.cells[${i}]`));
    }
    const lastEnd = s.lastEnd === null ? null : finiteNumber(s.lastEnd, 'PatternStatsEngine.lastEnd');
    const expired = count(s.expired, 'PatternStatsEngine.expired');
    this.window = window;
    this.ctx = ctx;
    this.pending = pending;
    this.cells = cells;
    this.lastEnd = lastEnd;
    this.expired = expired;
  }
}
