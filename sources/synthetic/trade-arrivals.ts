import type { Rng, RngState } from '../../processors/math/rng.ts';
import type { RegimeConfig } from './synthetic-config.ts';

const DAY_MS = 86_400_000;

/** TradeArrivals' mutable state (state()/restore()). */
export interface TradeArrivalsState {
  regime: 0 | 1;
  t: number;
  switchAt: number;
  rng: RngState;
}
const MINUTE_MS = 60_000;

/**
 * Trade arrival times of one symbol: a Poisson process with intensity
 *   lambda(t) = base * m(regime(t)) * (1 + A cos(2 pi (t - peak) / day)),
 * where regime(t) is a two-state (quiet/active) continuous-time Markov chain. Sampled by thinning
 * with the envelope base * m(regime) * (1 + A), restarting at each regime switch (memoryless).
 * Nothing here touches the price: activity carries no information about returns.
 */
export class TradeArrivals {
  /** 0 = quiet, 1 = active; the regime at the last arrival returned. */
  regime: 0 | 1;
  private t: number;
  private switchAt: number;
  private readonly ratePerMs: [number, number];
  private readonly leaveRatePerMs: [number, number];
  private readonly amplitude: number;
  private readonly peakMs: number;
  private readonly omega = (2 * Math.PI) / DAY_MS;

  constructor(
    private readonly rng: Rng,
    start: number,
    baseTradesPerSecond: number,
    regimes: RegimeConfig,
    seasonality: { amplitude: number; peakHourUtc: number },
  ) {
    const base = baseTradesPerSecond / 1000;
    this.amplitude = seasonality.amplitude;
    this.ratePerMs = [base * regimes.quietRate * (1 + this.amplitude), base * regimes.activeRate * (1 + this.amplitude)];
    this.leaveRatePerMs = [1 / (regimes.quietMeanMinutes * MINUTE_MS), 1 / (regimes.activeMeanMinutes * MINUTE_MS)];
    this.peakMs = seasonality.peakHourUtc * 3_600_000;
    // Start in the stationary distribution of the chain.
    const pActive = regimes.activeMeanMinutes / (regimes.quietMeanMinutes + regimes.activeMeanMinutes);
    this.regime = rng.next() < pActive ? 1 : 0;
    this.t = start;
    this.switchAt = start + rng.exponential(this.leaveRatePerMs[this.regime]);
  }

  state(): TradeArrivalsState {
    return { regime: this.regime, t: this.t, switchAt: this.switchAt, rng: this.rng.getState() };
  }

  restore(s: TradeArrivalsState): void {
    this.regime = s.regime;
    this.t = s.t;
    this.switchAt = s.switchAt;
    this.rng.setState(s.rng);
  }

  /** Seasonal multiplier of the arrival rate at time t (mean 1 over a day). */
  season(t: number): number {
    return 1 + this.amplitude * Math.cos(this.omega * (t - this.peakMs));
  }

  /** Time (continuous epoch ms) of the next arrival; sets `regime` to the regime at that time. */
  next(): number {
    const rng = this.rng;
    const top = 1 + this.amplitude;
    for (;;) {
      const cand = this.t + rng.exponential(this.ratePerMs[this.regime]);
      if (cand >= this.switchAt) {
        this.t = this.switchAt;
        this.regime = this.regime === 0 ? 1 : 0;
        this.switchAt = this.t + rng.exponential(this.leaveRatePerMs[this.regime]);
        continue;
      }
      this.t = cand;
      if (rng.next() * top < this.season(cand)) return cand;
    }
  }
}
