import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, finiteArray, nullableFiniteArray } from './state-guards.ts';

/**
 * The machinery shared by indicators that are a pure function of their last `size` inputs: the
 * window, add/replace, reset, snapshot/restore. A subclass only says how to compute its result
 * from a full window (`compute`, never called before warm-up), so the result depends on the
 * window alone: no running-sum drift, and a restored instance continues bit for bit.
 *
 * `W` is what the window keeps (a number, or null for a missing value), `R` the result, `In` the
 * input; a subclass whose input is not the kept number (a bar, say) maps it with `toWindow`.
 */
export abstract class WindowIndicator<W extends number | null, R = number, In = W> implements Indicator<In, R> {
  readonly warmUp: number;
  protected readonly window: RingWindow<W>;
  private result: R | null = null;

  /** `nullable`: whether inputs may be null (a missing value) — restore() validates accordingly. */
  protected constructor(
    size: number,
    private readonly label: string,
    private readonly nullable: boolean,
  ) {
    this.warmUp = size;
    this.window = new RingWindow(size);
  }

  /** The result for a full window; null where it is undefined. */
  protected abstract compute(): R | null;

  /** The value the window keeps for one input (the input itself unless a subclass says otherwise). */
  protected toWindow(input: In): W {
    return input as unknown as W;
  }

  get isStable(): boolean {
    return this.window.isFull;
  }

  add(input: In): R | null {
    this.window.push(this.toWindow(input));
    return this.update();
  }

  replace(input: In): R | null {
    if (this.window.length === 0) return this.add(input);
    this.window.replaceLast(this.toWindow(input));
    return this.update();
  }

  getResult(): R | null {
    return this.result;
  }

  reset(): void {
    this.window.clear();
    this.result = null;
  }

  snapshot(): { window: W[] } {
    return { window: this.window.toArray() };
  }

  restore(state: unknown): void {
    const raw = asRecord(state, this.label).window;
    const values = this.nullable ? nullableFiniteArray(raw, `${this.label}.window`) : finiteArray(raw, `${this.label}.window`);
    this.window.load(values as W[]);
    this.update();
  }

  /** Σ of the window, or null when any input in it is null (a missing value). */
  protected windowSum(): number | null {
    let sum = 0;
    for (let i = 0; i < this.window.length; i++) {
      const v = this.window.at(i);
      if (v === null) return null;
      sum += v;
    }
    return sum;
  }

  private update(): R | null {
    this.result = this.window.isFull ? this.compute() : null;
    return this.result;
  }
}
