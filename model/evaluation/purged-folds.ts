import { ModelError } from '../errors.ts';

/**
 * Cross-validation folds for time series with overlapping labels (López de Prado, "Advances in
 * Financial Machine Learning", ch. 7), plus an untouched holdout at the end.
 *
 * Every row at t carries a label built from prices over [t, t + horizonMs]. A training row leaks
 * when its label window overlaps the label window of any test row, so for a test fold whose rows
 * lie in [start, end]:
 * - purge (before the fold): a training row at t < start is kept only if t + horizonMs < start;
 * - purge and embargo (after the fold): a training row at t > end is kept only if
 *   t > end + horizonMs + embargoMs (its label window starts after the last test label ends, plus
 *   an embargo against serial correlation of features).
 *
 * Schemes:
 * - 'purged-kfold': the rows before the holdout are cut into `folds` contiguous blocks in time;
 *   each block is tested once against a model trained on every other block, purged and embargoed.
 * - 'walk-forward': an expanding window; the rows before the holdout are cut into `folds + 1`
 *   blocks, fold j trains on blocks 0..j (purged before block j + 1) and tests on block j + 1.
 *   Training never sees the future, so no embargo is needed after a test block.
 *
 * Holdout: the last `holdoutFraction` of the rows (by the same boundary rule as model/split.ts:
 * all rows at a bar end >= the boundary's go later, so one bar is never cut in two). Rows before
 * it whose label reaches the holdout (t + horizonMs >= boundary) are left out of the folds, and
 * the first embargoMs of the holdout is dropped, so nothing tuned on the folds touches it.
 */
export type CvScheme = 'purged-kfold' | 'walk-forward';
export const CV_SCHEMES: readonly CvScheme[] = ['purged-kfold', 'walk-forward'];

export interface FoldOptions {
  scheme?: CvScheme;
  /** Number of test folds (default 5). */
  folds?: number;
  horizonMs: number;
  /** Dropped after each test fold (purged k-fold) and at the start of the holdout (default: horizonMs). */
  embargoMs?: number;
  /** Default 0.15; 0 means no holdout (every row goes into the folds). */
  holdoutFraction?: number;
  /**
   * Each row's label end (epoch ms), when labels end at different times (triple barrier): a row
   * before a test fold or the holdout is purged only if its own label reaches it (labelEnd >= start),
   * and after a test fold the purge runs to the last label end of the fold's rows.
   */
  labelEnd?: ArrayLike<number>;
}

export const DEFAULT_FOLDS = { scheme: 'purged-kfold' as CvScheme, folds: 5, holdoutFraction: 0.15 } as const;

export interface Fold {
  /** Row indices, ascending. */
  train: Uint32Array;
  test: Uint32Array;
  /** First and last barEnd of the test rows. */
  testStart: number;
  testEnd: number;
  /** Training rows dropped because their label overlaps the test fold's labels. */
  purged: number;
  /** Training rows dropped by the embargo after the test fold. */
  embargoed: number;
}

export interface FoldPlan {
  scheme: CvScheme;
  horizonMs: number;
  embargoMs: number;
  folds: Fold[];
  /** The untouched holdout (ascending), empty when holdoutFraction is 0. */
  holdout: Uint32Array;
  /** barEnd at which the holdout starts (NaN without a holdout). */
  holdoutStart: number;
  /** Rows before the holdout left out because their label reaches into it, and holdout rows embargoed. */
  purgedBeforeHoldout: number;
  embargoedHoldout: number;
}

export function planFolds(barEnd: ArrayLike<number>, options: FoldOptions): FoldPlan {
  const scheme = options.scheme ?? DEFAULT_FOLDS.scheme;
  const k = options.folds ?? DEFAULT_FOLDS.folds;
  const horizonMs = options.horizonMs;
  const embargoMs = options.embargoMs ?? horizonMs;
  const holdoutFraction = options.holdoutFraction ?? DEFAULT_FOLDS.holdoutFraction;
  if (!CV_SCHEMES.includes(scheme)) throw new ModelError('SPLIT_INVALID', `unknown cross-validation scheme ${String(scheme)}`);
  if (!Number.isInteger(k) || k < 2) throw new ModelError('SPLIT_INVALID', `folds must be an integer >= 2, got ${k}`);
  if (!(horizonMs >= 0) || !(embargoMs >= 0)) throw new ModelError('SPLIT_INVALID', `horizonMs and embargoMs must be >= 0, got ${horizonMs} and ${embargoMs}`);
  if (!(holdoutFraction >= 0 && holdoutFraction < 1)) throw new ModelError('SPLIT_INVALID', `holdoutFraction must be in [0, 1), got ${holdoutFraction}`);
  const n = barEnd.length;
  for (let i = 1; i < n; i++) {
    if ((barEnd[i] as number) < (barEnd[i - 1] as number)) throw new ModelError('SPLIT_INVALID', `barEnd must be non-decreasing (row ${i})`);
  }

  const labelEnd = options.labelEnd;
  if (labelEnd !== undefined && labelEnd.length !== n) throw new ModelError('SPLIT_INVALID', `labelEnd has ${labelEnd.length} rows, barEnd ${n}`);
  const endOf = labelEnd === undefined ? (i: number): number => (barEnd[i] as number) + horizonMs : (i: number): number => labelEnd[i] as number;

  // Holdout.
  const holdoutStart = holdoutFraction > 0 ? ((barEnd[Math.floor(n * (1 - holdoutFraction))]) ?? Number.NaN) : Number.NaN;
  const cvRows: number[] = [];
  const holdout: number[] = [];
  let purgedBeforeHoldout = 0;
  let embargoedHoldout = 0;
  for (let i = 0; i < n; i++) {
    const t = barEnd[i] as number;
    if (!(t >= holdoutStart)) {
      if (endOf(i) < holdoutStart || Number.isNaN(holdoutStart)) cvRows.push(i);
      else purgedBeforeHoldout++;
    } else if (t < holdoutStart + embargoMs) embargoedHoldout++;
    else holdout.push(i);
  }

  // Blocks of the rows before the holdout, cut at bar ends.
  const blocks = scheme === 'purged-kfold' ? k : k + 1;
  const bounds: number[] = []; // bounds[b] = first barEnd of block b (b = 1..blocks-1)
  for (let b = 1; b < blocks; b++) bounds.push(barEnd[cvRows[Math.floor((cvRows.length * b) / blocks)] ?? 0] as number);
  const blockOf = (t: number): number => {
    let b = 0;
    while (b < bounds.length && t >= (bounds[b] as number)) b++;
    return b;
  };
  const byBlock: number[][] = Array.from({ length: blocks }, () => []);
  for (const i of cvRows) (byBlock[blockOf(barEnd[i] as number)] as number[]).push(i);

  const folds: Fold[] = [];
  const testBlocks = scheme === 'purged-kfold' ? [...Array(k).keys()] : [...Array(k).keys()].map((j) => j + 1);
  for (const tb of testBlocks) {
    const test = byBlock[tb] as number[];
    if (test.length === 0) {
      throw new ModelError('DATASET_TOO_SHORT', `fold ${folds.length + 1} of ${k} is empty (${cvRows.length} rows before the holdout): too few distinct bar ends for ${k} folds`);
    }
    const testStart = barEnd[test[0] as number] as number;
    const testEnd = barEnd[test.at(-1) as number] as number;
    // The last label end of the fold's rows (testEnd + horizonMs without per-row ends).
    let lastEnd = -Infinity;
    for (const i of test) lastEnd = Math.max(lastEnd, endOf(i));
    const train: number[] = [];
    let purged = 0;
    let embargoed = 0;
    const lastTrainBlock = scheme === 'purged-kfold' ? blocks - 1 : tb - 1;
    for (let b = 0; b <= lastTrainBlock; b++) {
      if (b === tb) continue;
      for (const i of byBlock[b] as number[]) {
        const t = barEnd[i] as number;
        if (t < testStart) {
          if (endOf(i) < testStart) train.push(i);
          else purged++;
        } else if (t <= lastEnd) purged++;
        else if (t <= lastEnd + embargoMs) embargoed++;
        else train.push(i);
      }
    }
    if (train.length === 0) throw new ModelError('DATASET_TOO_SHORT', `fold ${folds.length + 1} of ${k} has no training rows after purging and embargo`);
    folds.push({ train: Uint32Array.from(train), test: Uint32Array.from(test), testStart, testEnd, purged, embargoed });
  }
  return { scheme, horizonMs, embargoMs, folds, holdout: Uint32Array.from(holdout), holdoutStart, purgedBeforeHoldout, embargoedHoldout };
}
