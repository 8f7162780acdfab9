/**
 * Labels: the direction of the forward log return over a horizon, with a FLAT band. Labels look
 * into the future by definition, so they exist only in replay (dataset export, backtest, Bayes
 * AUC), never in the live graph.
 */
export interface LabelConfig {
  /** Horizon in bars of the signal interval (default 6 x 5m = 30 minutes). */
  horizonBars: number;
  /** |forward log return| <= flatBand is FLAT (default 0.0015 = 15 bp). */
  flatBand: number;
}

export const DEFAULT_LABEL_CONFIG: LabelConfig = { horizonBars: 6, flatBand: 0.0015 };

/** 0 = UP, 1 = FLAT, 2 = DOWN (CLASSES order). */
export function classify(forwardLogReturn: number, flatBand: number): 0 | 1 | 2 {
  if (forwardLogReturn > flatBand) return 0;
  if (forwardLogReturn < -flatBand) return 2;
  return 1;
}

const FIVE_MINUTES = 5 * 60_000;

/**
 * The default labels at a signal interval of `intervalMs`: the horizon stays 6 bars, and the FLAT
 * band scales with the square root of the bar length (15 bp at 5m, about 2.5 % at 1d), so that
 * under diffusive prices FLAT keeps about the same share of rows at every interval instead of
 * vanishing on daily bars. At 5m it is DEFAULT_LABEL_CONFIG exactly.
 */
export function labelConfigFor(intervalMs: number): LabelConfig {
  if (intervalMs === FIVE_MINUTES) return DEFAULT_LABEL_CONFIG;
  return { horizonBars: DEFAULT_LABEL_CONFIG.horizonBars, flatBand: DEFAULT_LABEL_CONFIG.flatBand * Math.sqrt(intervalMs / FIVE_MINUTES) };
}

/**
 * Triple-barrier labels (López de Prado, "Advances in Financial Machine Learning", ch. 3.4): from
 * a bar's close c0 at t, an upper barrier at c0 · exp(up · σ), a lower one at c0 · exp(−down · σ)
 * and a vertical one `bars` bars later, σ the standard deviation of the last `volBars` one-bar log
 * returns (close to close, the bars up to and including t: known at t). The label is the first
 * barrier touched, judged on each later bar's high and low: UP (profit target), DOWN (stop), or
 * FLAT at the time limit. Built in replay only (research/dataset.ts), like every label.
 */
export interface TripleBarrierConfig {
  /** Profit target in multiples of σ (> 0). */
  up: number;
  /** Stop in multiples of σ (> 0). */
  down: number;
  /** Time limit in bars of the signal interval. */
  bars: number;
  /** Bars of one-bar log returns in σ (default TRIPLE_BARRIER_VOL_BARS). */
  volBars: number;
}

export const TRIPLE_BARRIER_VOL_BARS = 20;

/** One later bar of the path. */
export interface BarrierBar {
  open: number;
  high: number;
  low: number;
}

/** A barrier touched on a bar: the class and the log return from c0 at the touch. */
export interface BarrierTouch {
  cls: 0 | 2;
  ret: number;
}

/**
 * Whether `bar` touches a barrier (log levels relative to c0: upper `upLog` > 0, lower `−downLog`).
 * The open first: a bar that opens beyond a barrier touched it at the open (filled at the open,
 * the gap's return, not the barrier's). Otherwise the high and the low; when both reach their
 * barriers in the same bar the order inside the bar is unknown and the rule is the conservative
 * one: the stop (DOWN), at the lower barrier.
 */
export function barrierTouch(c0: number, upLog: number, downLog: number, bar: BarrierBar): BarrierTouch | null {
  const open = Math.log(bar.open / c0);
  if (open >= upLog) return { cls: 0, ret: open };
  if (open <= -downLog) return { cls: 2, ret: open };
  const hitDown = Math.log(bar.low / c0) <= -downLog;
  if (hitDown) return { cls: 2, ret: -downLog };
  if (Math.log(bar.high / c0) >= upLog) return { cls: 0, ret: upLog };
  return null;
}

/**
 * Sample standard deviation (n − 1) of the returns in `window` (oldest first, summed in that
 * order), or NaN with fewer than two.
 */
export function returnStd(window: readonly number[]): number {
  const n = window.length;
  if (n < 2) return Number.NaN;
  let s = 0;
  for (const r of window) s += r;
  const mean = s / n;
  let q = 0;
  for (const r of window) q += (r - mean) * (r - mean);
  return Math.sqrt(q / (n - 1));
}

/** A bar as the labeller sees it (its end, epoch ms, and prices). */
export interface LabelBar extends BarrierBar {
  end: number;
  close: number;
}

/** A row the labeller resolved: labelled (`cls`), or `missing` when its time-limit bar never came. */
export type BarrierOutcome<T> =
  | { row: T; barEnd: number; missing: false; cls: 0 | 1 | 2; ret: number; labelEnd: number; by: 'up' | 'down' | 'timeout' }
  | { row: T; barEnd: number; missing: true };

interface BarrierPending<T> {
  row: T;
  barEnd: number;
  c0: number;
  upLog: number;
  downLog: number;
}

/**
 * Triple-barrier labelling of one stream of bars per symbol, in replay order. `bar(symbol, bar)`
 * for every bar of the interval (in time order per symbol), `row(symbol, barEnd, row)` for a row
 * at the bar that just closed (after its bar). Each pending row watches the later bars: the first
 * that touches a barrier (barrierTouch) ends it with UP or DOWN; the bar exactly `bars` intervals
 * later ends it FLAT at its close (the time limit); a later bar with neither means the time-limit
 * bar is missing (no trades then): the row is `missing`, as for direction labels. σ is the sample
 * std of the last volBars one-bar log returns up to the row's bar; with fewer (or σ = 0) `row`
 * returns false and the row is not labelled. Rows still pending at the end of the log are not
 * labelled either (`pending()`).
 */
export class TripleBarrierLabeller<T> {
  private readonly horizonMs: number;
  private readonly open = new Map<string, BarrierPending<T>[]>();
  private readonly returns = new Map<string, number[]>();
  private readonly lastClose = new Map<string, number>();

  constructor(
    readonly config: TripleBarrierConfig,
    intervalMs: number,
  ) {
    this.horizonMs = config.bars * intervalMs;
  }

  bar(symbol: string, bar: LabelBar): BarrierOutcome<T>[] {
    const out: BarrierOutcome<T>[] = [];
    const q = this.open.get(symbol);
    if (q !== undefined && q.length > 0) {
      this.open.set(
        symbol,
        q.filter((p) => {
          if (bar.end <= p.barEnd) return true;
          if (bar.end > p.barEnd + this.horizonMs) {
            out.push({ row: p.row, barEnd: p.barEnd, missing: true });
            return false;
          }
          const touch = barrierTouch(p.c0, p.upLog, p.downLog, bar);
          if (touch !== null) {
            out.push({ row: p.row, barEnd: p.barEnd, missing: false, cls: touch.cls, ret: touch.ret, labelEnd: bar.end, by: touch.cls === 0 ? 'up' : 'down' });
            return false;
          }
          if (bar.end === p.barEnd + this.horizonMs) {
            out.push({ row: p.row, barEnd: p.barEnd, missing: false, cls: 1, ret: Math.log(bar.close / p.c0), labelEnd: bar.end, by: 'timeout' });
            return false;
          }
          return true;
        }),
      );
    }
    const prev = this.lastClose.get(symbol);
    if (prev !== undefined) {
      let win = this.returns.get(symbol);
      if (win === undefined) this.returns.set(symbol, (win = []));
      win.push(Math.log(bar.close / prev));
      if (win.length > this.config.volBars) win.shift();
    }
    this.lastClose.set(symbol, bar.close);
    return out;
  }

  /** A row at the symbol's last bar (barEnd = that bar's end); false when σ is not known yet. */
  row(symbol: string, barEnd: number, row: T): boolean {
    const win = this.returns.get(symbol) ?? [];
    const sigma = win.length === this.config.volBars ? returnStd(win) : Number.NaN;
    const c0 = this.lastClose.get(symbol);
    if (!(sigma > 0) || c0 === undefined) return false;
    let q = this.open.get(symbol);
    if (q === undefined) this.open.set(symbol, (q = []));
    q.push({ row, barEnd, c0, upLog: this.config.up * sigma, downLog: this.config.down * sigma });
    return true;
  }

  /** Rows still waiting for a barrier or their time limit. */
  pending(): number {
    let n = 0;
    for (const q of this.open.values()) n += q.length;
    return n;
  }
}
