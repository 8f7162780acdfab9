import { StepIndicator } from './step-indicator.ts';
import { asRecord, assertPeriod, count, finiteNumber, finiteOrNull, nullableFinite } from './state-guards.ts';

interface RsiState {
  /** Closes seen. */
  n: number;
  last: number | null;
  /** Sums of gains/losses over the first `period` changes (seed of the averages). */
  sumGain: number;
  sumLoss: number;
  avgGain: number | null;
  avgLoss: number | null;
}

const EMPTY: RsiState = { n: 0, last: null, sumGain: 0, sumLoss: 0, avgGain: null, avgLoss: null };

/**
 * Wilder's RSI(n) on closes, in index points 0..100. With change_t = close_t - close_{t-1},
 * gain = max(change, 0), loss = max(-change, 0):
 *   first avgGain/avgLoss = simple mean of the first n gains/losses (needs n + 1 closes = warm-up),
 *   then avg_t = (avg_{t-1}·(n-1) + x_t) / n (Wilder smoothing, alpha = 1/n);
 *   RSI = 100 - 100 / (1 + avgGain/avgLoss).
 * Edge cases: avgLoss = 0 and avgGain > 0 (all gains) → 100; avgGain = 0 and avgLoss > 0
 * (all losses) → 0; both 0 (flat) → 50, a neutral reading rather than a division by zero.
 * replace() re-applies the latest close to the state kept from before it.
 */
export class Rsi extends StepIndicator<number, RsiState> {
  readonly warmUp: number;

  constructor(readonly period = 14) {
    assertPeriod(period);
    super(EMPTY, 'Rsi');
    this.warmUp = period + 1;
  }

  get isStable(): boolean {
    return this.state.avgGain !== null;
  }

  getResult(): number | null {
    const { avgGain, avgLoss } = this.state;
    if (avgGain === null || avgLoss === null) return null;
    if (avgLoss === 0) return avgGain === 0 ? 50 : 100;
    return finiteOrNull(100 - 100 / (1 + avgGain / avgLoss));
  }

  protected parseState(x: unknown, what: string): RsiState {
    return parseState(x, what);
  }

  protected step(close: number): void {
    const s = this.state;
    if (s.last !== null) {
      const change = close - s.last;
      const gain = change > 0 ? change : 0;
      const loss = change < 0 ? -change : 0;
      const changes = s.n; // index (1-based) of this change
      if (changes < this.period) {
        s.sumGain += gain;
        s.sumLoss += loss;
      } else if (changes === this.period) {
        s.sumGain += gain;
        s.sumLoss += loss;
        s.avgGain = s.sumGain / this.period;
        s.avgLoss = s.sumLoss / this.period;
      } else {
        const k = this.period - 1;
        s.avgGain = ((s.avgGain as number) * k + gain) / this.period;
        s.avgLoss = ((s.avgLoss as number) * k + loss) / this.period;
      }
    }
    s.last = close;
    s.n++;
  }
}

function parseState(x: unknown, what: string): RsiState {
  const r = asRecord(x, what);
  return {
    n: count(r.n, `${what}.n`),
    last: nullableFinite(r.last, `${what}.last`),
    sumGain: finiteNumber(r.sumGain, `${what}.sumGain`),
    sumLoss: finiteNumber(r.sumLoss, `${what}.sumLoss`),
    avgGain: nullableFinite(r.avgGain, `${what}.avgGain`),
    avgLoss: nullableFinite(r.avgLoss, `${what}.avgLoss`),
  };
}
