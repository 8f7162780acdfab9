import type { OptionChainConfig } from './synthetic-config.ts';

const DAY_YEARS = 1 / 365;

/**
 * The synthetic implied-volatility surface, a function of time to expiry T (years) and log
 * moneyness k = ln(K / F):
 *   atm(T) = sigma * (back + (front - back) * exp(-T / termDecay))   (term structure)
 *   iv(k, T) = atm(T) * max(minRatio, 1 - skew * k + smile * k^2)   (skew: low strikes richer)
 * It depends on nothing random: chains carry no planted information.
 */
export function surfaceVol(sigma: number, o: OptionChainConfig, T: number, k: number): number {
  const atm = sigma * (o.atmBack + (o.atmFront - o.atmBack) * Math.exp(-T / (o.termDecayDays * DAY_YEARS)));
  return atm * Math.max(o.minRatio, 1 - o.skew * k + o.smile * k * k);
}
