import { StepIndicator } from './step-indicator.ts';
import type { Bar } from '../../schemas/bar.ts';
import { asRecord, assertPeriod, count, finiteNumber, finiteOrNull, nullableFinite } from './state-guards.ts';

interface AtrState {
  /** Bars seen. */
  n: number;
  prevClose: number | null;
  /** Sum of the first `period` true ranges (seed of the average). */
  sumTr: number;
  atr: number | null;
}

const EMPTY: AtrState = { n: 0, prevClose: null, sumTr: 0, atr: null };

/**
 * Wilder's Average True Range(n), in price units (the feature atr_14_pct divides it by close).
 *   TR_t = max(high - low, |high - close_{t-1}|, |low - close_{t-1}|); the first bar has no
 *   previous close, so TR_1 = high - low (Wilder's convention, as in StockCharts' ChartSchool);
 *   first ATR = simple mean of TR_1..TR_n (warm-up: n bars);
 *   then ATR_t = (ATR_{t-1}·(n-1) + TR_t) / n.
 */
export class Atr extends StepIndicator<Bar, AtrState> {
  readonly warmUp: number;

  constructor(readonly period = 14) {
    assertPeriod(period);
    super(EMPTY, 'Atr');
    this.warmUp = period;
  }

  get isStable(): boolean {
    return this.state.atr !== null;
  }

  getResult(): number | null {
    return this.state.atr === null ? null : finiteOrNull(this.state.atr);
  }

  protected parseState(x: unknown, what: string): AtrState {
    return parseState(x, what);
  }

  protected step(bar: Bar): void {
    const s = this.state;
    const { high, low, close } = bar;
    const tr =
      s.prevClose === null
        ? high - low
        : Math.max(high - low, Math.abs(high - s.prevClose), Math.abs(low - s.prevClose));
    s.n++;
    if (s.n < this.period) {
      s.sumTr += tr;
    } else if (s.n === this.period) {
      s.sumTr += tr;
      s.atr = s.sumTr / this.period;
    } else {
      s.atr = ((s.atr as number) * (this.period - 1) + tr) / this.period;
    }
    s.prevClose = close;
  }
}

function parseState(x: unknown, what: string): AtrState {
  const r = asRecord(x, what);
  return {
    n: count(r.n, `${what}.n`),
    prevClose: nullableFinite(r.prevClose, `${what}.prevClose`),
    sumTr: finiteNumber(r.sumTr, `${what}.sumTr`),
    atr: nullableFinite(r.atr, `${what}.atr`),
  };
}
