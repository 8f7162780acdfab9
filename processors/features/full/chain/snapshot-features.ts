import type { OptionChainSnapshot } from '../../../../schemas/option-chain-snapshot.ts';
import { maxPainDist } from '../../chain/max-pain.ts';
import { pcrOi, pcrVolume } from '../../chain/put-call-ratio.ts';
import { gammaExposure, gammaFlip } from './gamma-exposure.ts';
import { ivSkew } from './iv-skew.ts';
import { pcrPremium } from './premium-pcr.ts';
import { expiriesOf, resolveChain, type PricingAssumptions, type ResolvedContract } from './resolved-chain.ts';

export const SNAPSHOT_FEATURE_NAMES = [
  'pcr_oi', 'pcr_volume', 'pcr_premium', 'max_pain_dist', 'max_pain_pull',
  'gex_total', 'gex_near', 'gex_sign', 'gamma_flip', 'gamma_flip_dist',
  'net_gamma', 'otm_put_gamma', 'otm_call_gamma', 'iv_skew_5', 'iv_term_ratio', 'atm_iv',
] as const;
export type SnapshotFeatures = Record<(typeof SNAPSHOT_FEATURE_NAMES)[number], number | null>;

const DAY_MS = 86_400_000;

function nulls(): SnapshotFeatures {
  const out = {} as SnapshotFeatures;
  for (const n of SNAPSHOT_FEATURE_NAMES) out[n] = null;
  return out;
}

const fin = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

/**
 * ATM IV (core-v1's rule, processors/features/chain/atm-iv.ts: mean call/put IV at the strike
 * nearest spot, the lower on a tie, the first usable IV of each right there) with resolved IVs.
 * The same steps as atmIv() on copies of the contracts with `iv` replaced by the resolved sigma,
 * without making those copies (D139: two object spreads per contract and vector before).
 */
function atmIvOf(rs: readonly ResolvedContract[], spot: number): number | null {
  if (!(Number.isFinite(spot) && spot > 0) || rs.length === 0) return null;
  let k = (rs[0] as ResolvedContract).c.strike;
  for (let i = 1; i < rs.length; i++) {
    const strike = (rs[i] as ResolvedContract).c.strike;
    const d = Math.abs(strike - spot);
    const bestD = Math.abs(k - spot);
    if (d < bestD || (d === bestD && strike < k)) k = strike;
  }
  let call: number | null = null;
  let put: number | null = null;
  for (const r of rs) {
    const iv = r.sigma;
    if (r.c.strike !== k || !(iv !== null && Number.isFinite(iv) && iv > 0)) continue;
    if (r.c.right === 'C' && call === null) call = iv;
    if (r.c.right === 'P' && put === null) put = iv;
  }
  if (call !== null && put !== null) return (call + put) / 2;
  return call ?? put;
}

/**
 * The features that depend on one snapshot only (the state caches them per snapshot object).
 * Nearest = the nearest live expiry (expiry > tsEvent), next = the one after it.
 *   max_pain_pull = max_pain_dist / (1 + days to the nearest expiry): the pull towards max pain
 *     grows as expiry nears (full distance at expiry, half one day before, 1/8 a week before).
 *   gex_sign = sign(gex_total) in {-1, 0, 1}; gamma_flip_dist = (gamma_flip - spot) / spot.
 *   iv_term_ratio = ATM IV nearest / ATM IV next (> 1: inverted term structure).
 */
export function snapshotFeatures(snap: OptionChainSnapshot | null, p: PricingAssumptions): SnapshotFeatures {
  const out = nulls();
  if (snap === null) return out;
  const rs = resolveChain(snap, p);
  const expiries = expiriesOf(rs);
  const e0 = expiries[0];
  if (e0 === undefined) return out;
  const spot = snap.spot;
  const near = rs.filter((r) => r.c.expiry === e0);
  const nearContracts = near.map((r) => r.c);
  out.pcr_oi = pcrOi(nearContracts);
  out.pcr_volume = pcrVolume(nearContracts);
  out.pcr_premium = pcrPremium(nearContracts);
  out.max_pain_dist = maxPainDist(nearContracts, spot);
  if (out.max_pain_dist !== null) out.max_pain_pull = fin(out.max_pain_dist / (1 + (e0 - snap.tsEvent) / DAY_MS));
  const g = gammaExposure(rs, spot, e0, p);
  out.gex_total = fin(g.total);
  out.gex_near = fin(g.nearest);
  out.gex_sign = out.gex_total === null ? null : Math.sign(out.gex_total);
  out.net_gamma = fin(g.netGamma);
  out.otm_put_gamma = fin(g.otmPutGamma);
  out.otm_call_gamma = fin(g.otmCallGamma);
  out.gamma_flip = fin(gammaFlip(rs, spot, p));
  if (out.gamma_flip !== null) out.gamma_flip_dist = fin((out.gamma_flip - spot) / spot);
  out.iv_skew_5 = ivSkew(near, spot);
  out.atm_iv = fin(atmIvOf(near, spot));
  const e1 = expiries[1];
  if (e1 !== undefined && out.atm_iv !== null) {
    const next = atmIvOf(rs.filter((r) => r.c.expiry === e1), spot);
    if (next !== null && next > 0) out.iv_term_ratio = fin(out.atm_iv / next);
  }
  return out;
}
