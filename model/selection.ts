import { CLASSES } from '../processors/types.ts';
import type { Family } from './family.ts';
import { meanLogLoss } from './metrics.ts';

const K = CLASSES.length;

/** `auto` keeps a more complex family only if it lowers log loss by more than this (and its standard error). */
export const AUTO_TIE_TOLERANCE = 1e-4;

/** One family's out-of-fold log loss on train + validation, pooled and per fold. */
export interface SelectionCandidate {
  family: Family;
  cvLogLoss: number;
  perFold: number[];
}

export interface Selection {
  family: Family;
  /** Per step of the walk from simplest to most complex: why the pick stayed or moved. */
  steps: { family: Family; against: Family; gain: number; standardError: number; kept: boolean }[];
}

/** Per-fold and pooled log loss of out-of-fold probabilities (folds as positions into them). */
export function foldLogLosses(probs: Float64Array, labels: Uint8Array, folds: readonly { test: Uint32Array }[]): { pooled: number; perFold: number[] } {
  const perFold = folds.map((f) => {
    const p = new Float64Array(f.test.length * K);
    for (let i = 0; i < f.test.length; i++) p.set(probs.subarray((f.test[i] as number) * K, (f.test[i] as number) * K + K), i * K);
    return meanLogLoss(p, Uint8Array.from(f.test, (r) => labels[r] as number));
  });
  return { pooled: meanLogLoss(probs, labels), perFold };
}

/**
 * `auto`: candidates in simplicity order (SIMPLICITY_ORDER); start from the simplest and move to a
 * more complex family only when its pooled out-of-fold log loss is lower than the current pick's
 * by more than AUTO_TIE_TOLERANCE and by more than the standard error of the per-fold differences
 * (sd / sqrt(folds)). One validation period can favour a family by chance (as the GBDT on the
 * 67-feature set did); a gain must hold across the folds of train + validation to count.
 */
export function chooseFamily(candidates: readonly SelectionCandidate[]): Selection {
  if (candidates.length === 0) throw new RangeError('no candidates to choose from');
  let pick = candidates[0] as SelectionCandidate;
  const steps: Selection['steps'] = [];
  for (const c of candidates.slice(1)) {
    const d = c.perFold.map((v, f) => (pick.perFold[f] as number) - v);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const sd = d.length > 1 ? Math.sqrt(d.reduce((s, v) => s + (v - mean) * (v - mean), 0) / (d.length - 1)) : 0;
    const standardError = sd / Math.sqrt(d.length);
    const gain = pick.cvLogLoss - c.cvLogLoss;
    const kept = gain > AUTO_TIE_TOLERANCE && gain > standardError;
    steps.push({ family: c.family, against: pick.family, gain, standardError, kept });
    if (kept) pick = c;
  }
  return { family: pick.family, steps };
}
