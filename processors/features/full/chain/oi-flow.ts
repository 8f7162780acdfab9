import type { OptionChainSnapshot } from '../../../../schemas/option-chain-snapshot.ts';

/** Σ open interest of one right over contracts with the given expiries. */
function sumOi(snap: OptionChainSnapshot, right: 'C' | 'P', expiries: ReadonlySet<number>): number {
  let s = 0;
  for (const c of snap.contracts) if (c.right === right && expiries.has(c.expiry)) s += c.openInterest;
  return s;
}

/**
 * Σ open interest of calls and of puts over contracts with the given expiries, in one pass: the
 * same sums, added in the same order, as sumOi per right.
 */
export function sumOiByRight(snap: OptionChainSnapshot, expiries: ReadonlySet<number>): { call: number; put: number } {
  let call = 0, put = 0;
  for (const c of snap.contracts) {
    if (!expiries.has(c.expiry)) continue;
    if (c.right === 'C') call += c.openInterest;
    else if (c.right === 'P') put += c.openInterest;
  }
  return { call, put };
}

/**
 * Σ open interest of calls and of puts of one expiry, in one pass: the same sums, added in the same
 * order, as sumOi(snap, right, new Set([expiry])) per right (an expiry is never NaN, the one value
 * a Set matches and === does not).
 */
export function sumOiAt(snap: OptionChainSnapshot, expiry: number): { call: number; put: number } {
  let call = 0, put = 0;
  for (const c of snap.contracts) {
    if (c.expiry !== expiry) continue;
    if (c.right === 'C') call += c.openInterest;
    else if (c.right === 'P') put += c.openInterest;
  }
  return { call, put };
}

/** The expiries of the snapshot still live at its time (expiry > tsEvent). */
export function liveExpiries(snap: OptionChainSnapshot): Set<number> {
  const out = new Set<number>();
  for (const c of snap.contracts) if (c.expiry > snap.tsEvent) out.add(c.expiry);
  return out;
}

/** An earlier snapshot is usable only if it is strictly older than the current one. */
export function earlier(now: OptionChainSnapshot, then: OptionChainSnapshot | null): then is OptionChainSnapshot {
  return then !== null && then.tsEvent < now.tsEvent;
}

/**
 * OI velocity of one right: (Σ OI now - Σ OI then) / Σ OI then over the expiries live now, a
 * fraction (0.01 = +1 %) over the time between the two snapshots (the caller passes the snapshot
 * as of barEnd - 5 or 15 minutes). Null without a strictly older snapshot or when Σ OI then is 0.
 */
export function oiVelocity(now: OptionChainSnapshot, then: OptionChainSnapshot | null, right: 'C' | 'P'): number | null {
  if (!earlier(now, then)) return null;
  const exp = liveExpiries(now);
  const before = sumOi(then, right, exp);
  if (!(before > 0)) return null;
  return velocity(before, sumOi(now, right, exp));
}

/** (now - before) / before for Σ OI then and now; null unless before > 0 and the result is finite. */
export function velocity(before: number, now: number): number | null {
  if (!(before > 0)) return null;
  const v = (now - before) / before;
  return Number.isFinite(v) ? v : null;
}

/**
 * pcr_oi_change: Δ put OI / Δ call OI of the expiry `expiry` between the earlier snapshot and now
 * (dimensionless; negative when they moved in opposite directions). Null without a strictly older
 * snapshot or when the call OI did not change.
 */
export function pcrOiChange(now: OptionChainSnapshot, then: OptionChainSnapshot | null, expiry: number): number | null {
  if (!earlier(now, then)) return null;
  return pcrFromSums(sumOiAt(now, expiry), sumOiAt(then, expiry));
}

/** pcr_oi_change from Σ OI of calls and puts of the expiry now and then (sumOiAt of each chain). */
export function pcrFromSums(now: { call: number; put: number }, then: { call: number; put: number }): number | null {
  const dc = now.call - then.call;
  if (dc === 0) return null;
  const r = (now.put - then.put) / dc;
  return Number.isFinite(r) ? r : null;
}
