import type { Indicator } from '../../types.ts';
import { asRecord, assertPeriod } from '../state-guards.ts';
import { Ema } from './ema.ts';

export interface MacdResult {
  /** EMA_fast(close) - EMA_slow(close), price units. */
  readonly line: number;
  /** EMA_signal of the line, price units. */
  readonly signal: number;
  /** line - signal, price units. */
  readonly histogram: number;
}

/**
 * MACD(fast, slow, signal) (Appel) on closes, every EMA seeded with the SMA of its first inputs
 * (see Ema). The line exists from the slow-th close; the signal EMA is fed the line from then on,
 * so the first full result is at close slow + signal - 1 (= warm-up, 34 for 12/26/9). The result
 * is null until all three values exist. Price units (the features divide by close).
 */
export class Macd implements Indicator<number, MacdResult> {
  readonly warmUp: number;
  private fast: Ema;
  private slow: Ema;
  private sig: Ema;
  private result: MacdResult | null = null;

  constructor(
    readonly fastPeriod = 12,
    readonly slowPeriod = 26,
    readonly signalPeriod = 9,
  ) {
    assertPeriod(fastPeriod, 'fast period');
    assertPeriod(slowPeriod, 'slow period');
    assertPeriod(signalPeriod, 'signal period');
    if (fastPeriod >= slowPeriod) throw new RangeError(`MACD fast period ${fastPeriod} must be < slow ${slowPeriod}`);
    this.warmUp = slowPeriod + signalPeriod - 1;
    this.fast = new Ema(fastPeriod);
    this.slow = new Ema(slowPeriod);
    this.sig = new Ema(signalPeriod);
  }

  get isStable(): boolean {
    return this.result !== null;
  }

  add(close: number): MacdResult | null {
    const f = this.fast.add(close);
    const s = this.slow.add(close);
    return this.finish(f, s, (line) => this.sig.add(line));
  }

  replace(close: number): MacdResult | null {
    const f = this.fast.replace(close);
    const s = this.slow.replace(close);
    // Whether the line exists depends only on the count of closes, so the signal EMA was fed at the
    // replaced close exactly when it is fed now.
    return this.finish(f, s, (line) => this.sig.replace(line));
  }

  getResult(): MacdResult | null {
    return this.result;
  }

  reset(): void {
    this.fast.reset();
    this.slow.reset();
    this.sig.reset();
    this.result = null;
  }

  snapshot(): { fast: unknown; slow: unknown; sig: unknown } {
    return { fast: this.fast.snapshot(), slow: this.slow.snapshot(), sig: this.sig.snapshot() };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'Macd');
    const fast = new Ema(this.fastPeriod);
    const slow = new Ema(this.slowPeriod);
    const sig = new Ema(this.signalPeriod);
    fast.restore(s.fast);
    slow.restore(s.slow);
    sig.restore(s.sig);
    this.fast = fast;
    this.slow = slow;
    this.sig = sig;
    const f = fast.getResult();
    const sl = slow.getResult();
    this.finish(f, sl, () => sig.getResult());
  }

  private finish(f: number | null, s: number | null, feedSignal: (line: number) => number | null): MacdResult | null {
    this.result = null;
    if (f === null || s === null) return null;
    const line = f - s;
    if (!Number.isFinite(line)) return null;
    const signal = feedSignal(line);
    if (signal === null) return null;
    const histogram = line - signal;
    if (Number.isFinite(histogram)) this.result = { line, signal, histogram };
    return this.result;
  }
}
