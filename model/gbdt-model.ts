import { ModelError } from './errors.ts';
import type { RowModel } from './family.ts';

/**
 * One regression tree as flat arrays (node 0 is the root). An internal node sends x to `left`
 * when x[feature] <= threshold, else to `right`; a leaf has feature -1 and adds `value`.
 */
export interface TreeParams {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** Saved GBDT: per-class initial scores and, per boosting round, one tree per class. */
export interface GbdtParams {
  inputDim: number;
  baseScore: number[];
  /** rounds[i][k]: the tree of round i for class k. */
  rounds: TreeParams[][];
}

/**
 * Float64 scoring of a GBDT: raw score of class k = baseScore[k] + the leaf values of its trees,
 * added in round order; then a softmax. Trees compare raw feature values with the thresholds the
 * trainer derived from its bins, so no binning happens at prediction time.
 */
export class GbdtModel implements RowModel {
  readonly inputDim: number;
  private readonly raw: Float64Array;
  private readonly trees: { feature: Int32Array; threshold: Float64Array; left: Int32Array; right: Int32Array; value: Float64Array }[][];

  constructor(readonly params: GbdtParams) {
    this.inputDim = params.inputDim;
    const k = params.baseScore.length;
    this.raw = new Float64Array(k);
    this.trees = params.rounds.map((round, i) => {
      if (round.length !== k) throw new ModelError('MANIFEST_INVALID', `GBDT round ${i} has ${round.length} trees for ${k} classes`);
      return round.map((t) => {
        const n = t.feature.length;
        if ([t.threshold, t.left, t.right, t.value].some((a) => a.length !== n)) throw new ModelError('MANIFEST_INVALID', `GBDT round ${i}: tree arrays differ in length`);
        for (let j = 0; j < n; j++) {
          const f = t.feature[j] as number;
          if (f >= params.inputDim || (f >= 0 && !((t.left[j] as number) > j && (t.right[j] as number) > j && (t.left[j] as number) < n && (t.right[j] as number) < n))) {
            throw new ModelError('MANIFEST_INVALID', `GBDT round ${i}: node ${j} is malformed`);
          }
        }
        return {
          feature: Int32Array.from(t.feature),
          threshold: Float64Array.from(t.threshold),
          left: Int32Array.from(t.left),
          right: Int32Array.from(t.right),
          value: Float64Array.from(t.value),
        };
      });
    });
  }

  /** Raw (margin) scores; a scratch buffer. */
  margins(row: ArrayLike<number>): Float64Array {
    if (row.length !== this.inputDim) throw new ModelError('INPUT_SHAPE', `expected ${this.inputDim} features, got ${row.length}`);
    const raw = this.raw;
    for (let k = 0; k < raw.length; k++) raw[k] = this.params.baseScore[k] as number;
    for (let j = 0; j < row.length; j++) {
      if (Number.isNaN(row[j])) {
        raw.fill(Number.NaN);
        return raw;
      }
    }
    for (const round of this.trees) {
      for (let k = 0; k < round.length; k++) {
        const t = round[k] as (typeof round)[number];
        let node = 0;
        let f = t.feature[0] as number;
        while (f >= 0) {
          node = (row[f] as number) <= (t.threshold[node] as number) ? (t.left[node] as number) : (t.right[node] as number);
          f = t.feature[node] as number;
        }
        raw[k] = (raw[k] as number) + (t.value[node] as number);
      }
    }
    return raw;
  }

  score(row: ArrayLike<number>): Float64Array {
    return softmaxInPlace(this.margins(row));
  }
}

/** Softmax in place, max-shifted; sums in index order. */
export function softmaxInPlace(y: Float64Array): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < y.length; j++) max = Math.max(max, y[j] as number);
  let sum = 0;
  for (let j = 0; j < y.length; j++) {
    const e = Math.exp((y[j] as number) - max);
    y[j] = e;
    sum += e;
  }
  for (let j = 0; j < y.length; j++) y[j] = (y[j] as number) / sum;
  return y;
}
