import type { OptionContract } from '../../../schemas/option-chain-snapshot.ts';

function usableIv(iv: number | null): iv is number {
  return iv !== null && Number.isFinite(iv) && iv > 0;
}

/**
 * The listed strike nearest to spot (ties → the lower strike); null if there are no contracts or
 * spot is not a positive finite number.
 */
export function atmStrike(contracts: readonly OptionContract[], spot: number): number | null {
  if (!(Number.isFinite(spot) && spot > 0)) return null;
  let best: number | null = null;
  for (const c of contracts) {
    if (best === null) {
      best = c.strike;
      continue;
    }
    const d = Math.abs(c.strike - spot);
    const bestD = Math.abs(best - spot);
    if (d < bestD || (d === bestD && c.strike < best)) best = c.strike;
  }
  return best;
}

/**
 * atm_iv: implied volatility (a fraction, as quoted by the source, conventionally annualized) at
 * the strike nearest to spot: the mean of the call and put IV when both exist, else the one that
 * exists; null if neither has a usable IV (null, non-finite or <= 0 counts as unknown). It does
 * not fall back to another strike: a far strike's IV would be a different quantity (skew).
 * If a strike lists several contracts of one right, the first with a usable IV is used.
 */
export function atmIv(contracts: readonly OptionContract[], spot: number): number | null {
  const k = atmStrike(contracts, spot);
  if (k === null) return null;
  let call: number | null = null;
  let put: number | null = null;
  for (const c of contracts) {
    if (c.strike !== k || !usableIv(c.iv)) continue;
    if (c.right === 'C' && call === null) call = c.iv;
    if (c.right === 'P' && put === null) put = c.iv;
  }
  if (call !== null && put !== null) return (call + put) / 2;
  return call ?? put;
}
