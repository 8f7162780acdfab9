import type { Indicator } from '../types.ts';
import { asRecord } from './state-guards.ts';

/**
 * The machinery shared by recursive indicators (Wilder/EMA smoothing) whose state is a flat record
 * updated by one step per input: replace() is "restore the state from before the latest input and
 * step again", so a snapshot carries both states. A subclass supplies the step, the result, and
 * how to validate a restored state.
 */
export abstract class StepIndicator<I, S extends { n: number }> implements Indicator<I> {
  protected state: S;
  private before: S;

  protected constructor(
    private readonly empty: Readonly<S>,
    private readonly label: string,
  ) {
    this.state = { ...empty };
    this.before = { ...empty };
  }

  abstract readonly warmUp: number;
  abstract get isStable(): boolean;
  abstract getResult(): number | null;
  /** Advances `this.state` by one input (mutating it). */
  protected abstract step(input: I): void;
  /** Validates a restored state; throws on malformed input. */
  protected abstract parseState(x: unknown, what: string): S;

  add(input: I): number | null {
    this.before = { ...this.state };
    this.step(input);
    return this.getResult();
  }

  replace(input: I): number | null {
    if (this.state.n === 0) return this.add(input);
    this.state = { ...this.before };
    this.step(input);
    return this.getResult();
  }

  reset(): void {
    this.state = { ...this.empty };
    this.before = { ...this.empty };
  }

  snapshot(): { state: S; before: S } {
    return { state: { ...this.state }, before: { ...this.before } };
  }

  restore(state: unknown): void {
    const s = asRecord(state, this.label);
    const st = this.parseState(s.state, `${this.label}.state`);
    const before = this.parseState(s.before, `${this.label}.before`);
    this.state = st;
    this.before = before;
  }
}
