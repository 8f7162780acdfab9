import type { Rng, RngState } from '../../processors/math/rng.ts';

/** LatentPrice's mutable state (state()/restore()). */
export interface LatentPriceState {
  t: number;
  x: number;
  driftPerMs: number;
  nextJumpAt: number;
  rng: RngState;
}

const YEAR_MS = 365 * 86_400_000;
const DAY_MS = 86_400_000;

/**
 * The latent log price x(t) of one symbol in calendar time (ms):
 *   dx = mu(t) dt + sigma dW + dJ,
 * sigma constant, J compound Poisson (constant intensity, N(0, jumpStd^2) sizes), mu piecewise
 * constant, set by the owner (the planted drift). Increments over [t, t + dt] are exact:
 * mu dt + sigma sqrt(dt) Z plus the jumps that fall inside.
 */
export class LatentPrice {
  /** Time of `x`, continuous epoch ms. */
  t: number;
  x: number;
  driftPerMs = 0;
  /** sigma per sqrt(ms). */
  readonly sigmaMs: number;
  private nextJumpAt: number;
  private readonly jumpRatePerMs: number;

  constructor(
    private readonly rng: Rng,
    start: number,
    initialPrice: number,
    volatility: number,
    jumpsPerDay: number,
    private readonly jumpStd: number,
  ) {
    this.t = start;
    this.x = Math.log(initialPrice);
    this.sigmaMs = volatility / Math.sqrt(YEAR_MS);
    this.jumpRatePerMs = jumpsPerDay / DAY_MS;
    this.nextJumpAt = this.jumpRatePerMs > 0 ? start + rng.exponential(this.jumpRatePerMs) : Number.POSITIVE_INFINITY;
  }

  state(): LatentPriceState {
    return { t: this.t, x: this.x, driftPerMs: this.driftPerMs, nextJumpAt: this.nextJumpAt, rng: this.rng.getState() };
  }

  restore(s: LatentPriceState): void {
    this.t = s.t;
    this.x = s.x;
    this.driftPerMs = s.driftPerMs;
    this.nextJumpAt = s.nextJumpAt;
    this.rng.setState(s.rng);
  }

  /** Advances to time T >= t. */
  moveTo(T: number): void {
    while (this.nextJumpAt <= T) {
      this.diffuse(this.nextJumpAt);
      this.x += this.jumpStd * this.rng.normal();
      this.nextJumpAt += this.rng.exponential(this.jumpRatePerMs);
    }
    this.diffuse(T);
  }

  private diffuse(T: number): void {
    const dt = T - this.t;
    if (dt > 0) {
      this.x += this.driftPerMs * dt + this.sigmaMs * Math.sqrt(dt) * this.rng.normal();
      this.t = T;
    }
  }
}
