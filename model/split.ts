import { ModelError } from './errors.ts';

/**
 * Chronological train / validation / test split with purging and an embargo (after López de
 * Prado, "Advances in Financial Machine Learning", ch. 7), never random across time.
 *
 * Boundaries: with n rows sorted by barEnd, the validation boundary T1 is the barEnd of row
 * floor(n * train) and the test boundary T2 the barEnd of row floor(n * (train + validation)).
 * Every row with barEnd >= T1 belongs to the later side, so one bar is never cut in two.
 *
 * Purge: a row at t has a label built from prices up to t + horizonMs. A row of an earlier split
 * is kept only if t + horizonMs < T (the next split's first barEnd); otherwise its label would
 * overlap (or end on) the bar the next split starts with, leaking the future into training or
 * model selection.
 *
 * With per-row label ends (`labelEnd`, a triple-barrier dataset: the bar of the first barrier
 * touch, or the time limit), the purge uses each row's own end instead: a row of an earlier split
 * is kept only if labelEnd < T. A label that ended early is not purged for a horizon it never used.
 *
 * Embargo: the first embargoMs of each later split (rows with T <= t < T + embargoMs) are dropped
 * too, so that features of the later split whose rolling windows reach back over the earlier
 * split's labelled period, and serial correlation in general, do not bridge the boundary.
 *
 * The gap between the last kept row before a boundary and the first after it is therefore more
 * than horizonMs + embargoMs. The fractions apply to rows before purging, so the kept splits are
 * slightly smaller than 70/15/15.
 */
export interface SplitOptions {
  fractions?: { train: number; validation: number; test: number };
  /** Label horizon in ms (default 6 bars x 5 minutes). */
  horizonMs?: number;
  /** Gap dropped at the start of validation and test (default: the horizon, 30 minutes). */
  embargoMs?: number;
  /**
   * Each row's label end (epoch ms, > barEnd, <= barEnd + horizonMs), when labels end at different
   * times (triple barrier); the purge then keeps a row of an earlier split only if labelEnd < T.
   */
  labelEnd?: ArrayLike<number>;
}

export const DEFAULT_SPLIT = {
  fractions: { train: 0.7, validation: 0.15, test: 0.15 },
  horizonMs: 6 * 5 * 60_000,
  embargoMs: 6 * 5 * 60_000,
} as const;

export interface SplitRange {
  rows: number;
  firstBarEnd: number;
  lastBarEnd: number;
}

export interface SplitResult {
  /** Row indices into the dataset, ascending. */
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
  /** What the manifest records (JSON-safe). */
  summary: {
    fractions: { train: number; validation: number; test: number };
    horizonMs: number;
    embargoMs: number;
    validationStart: number;
    testStart: number;
    purged: number;
    embargoed: number;
    train: SplitRange;
    validation: SplitRange;
    test: SplitRange;
  };
}

export function chronologicalSplit(barEnd: ArrayLike<number>, options: SplitOptions = {}): SplitResult {
  const fractions = options.fractions ?? DEFAULT_SPLIT.fractions;
  const horizonMs = options.horizonMs ?? DEFAULT_SPLIT.horizonMs;
  const embargoMs = options.embargoMs ?? DEFAULT_SPLIT.embargoMs;
  const { train: fTrain, validation: fVal, test: fTest } = fractions;
  if (![fTrain, fVal, fTest].every((f) => f > 0) || Math.abs(fTrain + fVal + fTest - 1) > 1e-9) {
    throw new ModelError('SPLIT_INVALID', `split fractions must be positive and sum to 1, got ${fTrain}/${fVal}/${fTest}`);
  }
  if (!(horizonMs >= 0) || !(embargoMs >= 0)) {
    throw new ModelError('SPLIT_INVALID', `horizonMs and embargoMs must be >= 0, got ${horizonMs} and ${embargoMs}`);
  }
  const n = barEnd.length;
  for (let i = 1; i < n; i++) {
    if ((barEnd[i] as number) < (barEnd[i - 1] as number)) {
      throw new ModelError('SPLIT_INVALID', `barEnd must be non-decreasing (row ${i})`);
    }
  }
  const labelEnd = options.labelEnd;
  if (labelEnd !== undefined && labelEnd.length !== n) throw new ModelError('SPLIT_INVALID', `labelEnd has ${labelEnd.length} rows, barEnd ${n}`);
  /** When row i's label ends: its own end, or barEnd + horizon. */
  const endOf = labelEnd === undefined ? (i: number): number => (barEnd[i] as number) + horizonMs : (i: number): number => labelEnd[i] as number;
  const t1 = barEnd[Math.floor(n * fTrain)] ?? Number.NaN;
  const t2 = barEnd[Math.floor(n * (fTrain + fVal))] ?? Number.NaN;

  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  let purged = 0;
  let embargoed = 0;
  for (let i = 0; i < n; i++) {
    const t = barEnd[i] as number;
    if (t < t1) {
      if (endOf(i) < t1) train.push(i);
      else purged++;
    } else if (t < t2) {
      if (t < t1 + embargoMs) embargoed++;
      else if (endOf(i) < t2) validation.push(i);
      else purged++;
    } else if (t < t2 + embargoMs) embargoed++;
    else test.push(i);
  }
  const range = (idx: number[], name: string): SplitRange => {
    if (idx.length === 0) {
      throw new ModelError(
        'DATASET_TOO_SHORT',
        `the ${name} split is empty after purging and embargo (${n} rows, horizon ${horizonMs} ms, embargo ${embargoMs} ms): the dataset spans too little time`,
      );
    }
    return { rows: idx.length, firstBarEnd: barEnd[idx[0] as number] as number, lastBarEnd: barEnd[idx.at(-1) as number] as number };
  };
  return {
    train: Uint32Array.from(train),
    validation: Uint32Array.from(validation),
    test: Uint32Array.from(test),
    summary: {
      fractions: { train: fTrain, validation: fVal, test: fTest },
      horizonMs,
      embargoMs,
      validationStart: t1,
      testStart: t2,
      purged,
      embargoed,
      train: range(train, 'train'),
      validation: range(validation, 'validation'),
      test: range(test, 'test'),
    },
  };
}
