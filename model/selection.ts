import { CLASSES } from '../processors/types.ts';
import type { Family } from './family.ts';
import { meanLogLoss } from './metrics.ts';

const K = CLASSES.length;

/** `auto` keeps a more complex family only if it lowers log loss by more than this (and its standard error). */
export const AUTO_TIE_TOLERANCE = 1e-4;

/**
 * One-sided 95 % quantiles of Student's t with 1..10 degrees of freedom (any statistics table,
 * e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2); beyond 10 the normal 1.645 is used, which is
 * within 10 % of the t quantile from 11 degrees on.
 */
const T95_ONE_SIDED = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812] as const;

/** The bar a gain must clear, in standard errors of the per-fold differences, with `folds` folds. */
export function selectionBar(folds: number): number {
  return folds < 2 ? 0 : (T95_ONE_SIDED[folds - 2] ?? 1.645);
}

/** One family's out-of-fold log loss on train + validation, pooled and per fold. */
export interface SelectionCandidate {
  family: Family;
  cvLogLoss: number;
  perFold: number[];
}

export interface Selection {
  family: Family;
  /** Per step of the walk from simplest to most complex: why the pick stayed or moved. */
  steps: { family: Family; against: Family; gain: number; standardError: number; bar: number; kept: boolean }[];
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
 * by more than AUTO_TIE_TOLERANCE and by more than a one-sided 95 % bound of the per-fold
 * differences: t(0.95, folds − 1) standard errors (sd / sqrt(folds); 2.132 with 5 folds). One
 * validation period can favour a family by chance (as the GBDT on the 67-feature set did); a gain
 * must hold across the folds of train + validation to count, and one standard error (the rule
 * before D93) let a gain of 1.1 standard errors pick the stack where it was no better on test.
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
    const bar = selectionBar(d.length);
    const kept = gain > AUTO_TIE_TOLERANCE && gain > bar * standardError;
    steps.push({ family: c.family, against: pick.family, gain, standardError, bar, kept });
    if (kept) pick = c;
  }
  return { family: pick.family, steps };
}
