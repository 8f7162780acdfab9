import type { Clock } from '../../processors/graph.ts';

/**
 * Market time for a live run: starts at `marketStart` when created and runs `speed` market
 * milliseconds per wall millisecond. The only place outside tests that reads the wall clock for
 * market time; processors never see it.
 */
export class LiveClock implements Clock {
  readonly kind = 'live' as const;
  private readonly wallStart: number;

  constructor(
    readonly marketStart: number,
    readonly speed: number,
    private readonly wallNow: () => number = () => performance.now(),
  ) {
    if (!(speed > 0)) throw new Error(`speed must be > 0, got ${speed}`);
    this.wallStart = wallNow();
  }

  now(): number {
    return Math.floor(this.marketStart + (this.wallNow() - this.wallStart) * this.speed);
  }

  /** Wall milliseconds from now until the market clock reaches `marketTs` (<= 0 if passed). */
  wallDelayUntil(marketTs: number): number {
    return (marketTs - this.now()) / this.speed;
  }
}
