import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, finiteArray, nullableFiniteArray } from './state-guards.ts';

/**
 * The machinery shared by indicators that are a pure function of their last `size` inputs: the
 * window, add/replace, reset, snapshot/restore. A subclass only says how to compute its result
 * from a full window (`compute`, never called before warm-up), so the result depends on the
 * window alone: no running-sum drift, and a restored instance continues bit for bit.
 */
export abstract class WindowIndicator<I extends number | null> implements Indicator<I> {
  readonly warmUp: number;
  protected readonly window: RingWindow<I>;
  private result: number | null = null;

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
  protected abstract compute(): number | null;

  get isStable(): boolean {
    return this.window.isFull;
  }

  add(input: I): number | null {
    this.window.push(input);
    return this.update();
  }

  replace(input: I): number | null {
    if (this.window.length === 0) return this.add(input);
    this.window.replaceLast(input);
    return this.update();
  }

  getResult(): number | null {
    return this.result;
  }

  reset(): void {
    this.window.clear();
    this.result = null;
  }

  snapshot(): { window: I[] } {
    return { window: this.window.toArray() };
  }

  restore(state: unknown): void {
    const raw = asRecord(state, this.label).window;
    const values = this.nullable ? nullableFiniteArray(raw, `${this.label}.window`) : finiteArray(raw, `${this.label}.window`);
    this.window.load(values as I[]);
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

  private update(): number | null {
    this.result = this.window.isFull ? this.compute() : null;
    return this.result;
  }
}
