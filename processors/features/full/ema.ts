import { StepIndicator } from '../step-indicator.ts';
import { asRecord, assertPeriod, count, finiteNumber, nullableFinite } from '../state-guards.ts';

interface EmaState {
  n: number;
  /** Sum of the first `period` inputs (the SMA seed). */
  sum: number;
  ema: number | null;
}

const EMPTY: EmaState = { n: 0, sum: 0, ema: null };

/**
 * Exponential moving average EMA(n), in the unit of its input, seeded with the simple mean of the
 * first n inputs (StockCharts/Appel convention; pandas' ewm(adjust=False) would seed with the first
 * input instead): EMA_n = mean(x_1..x_n), then EMA_t = EMA_{t-1} + α·(x_t - EMA_{t-1}), α = 2/(n+1).
 * Warm-up: n inputs. replace() re-applies the latest input to the state kept from before it.
 */
export class Ema extends StepIndicator<number, EmaState> {
  readonly warmUp: number;
  private readonly alpha: number;

  constructor(readonly period: number) {
    assertPeriod(period);
    super(EMPTY, 'Ema');
    this.warmUp = period;
    this.alpha = 2 / (period + 1);
  }

  get isStable(): boolean {
    return this.state.ema !== null;
  }

  getResult(): number | null {
    const e = this.state.ema;
    return e !== null && Number.isFinite(e) ? e : null;
  }

  protected parseState(x: unknown, what: string): EmaState {
    return parseState(x, what);
  }

  protected step(x: number): void {
    const s = this.state;
    s.n++;
    if (s.n < this.period) s.sum += x;
    else if (s.n === this.period) {
      s.sum += x;
      s.ema = s.sum / this.period;
    } else s.ema = (s.ema as number) + this.alpha * (x - (s.ema as number));
  }
}

function parseState(x: unknown, what: string): EmaState {
  const r = asRecord(x, what);
  return { n: count(r.n, `${what}.n`), sum: finiteNumber(r.sum, `${what}.sum`), ema: nullableFinite(r.ema, `${what}.ema`) };
}
