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
  /** All trees' nodes in one set of arrays (children as absolute indices); roots in round-major, class-minor order. */
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly value: Float64Array;
  private readonly roots: Int32Array;
  private readonly base: Float64Array;

  constructor(readonly params: GbdtParams) {
    this.inputDim = params.inputDim;
    const k = params.baseScore.length;
    this.raw = new Float64Array(k);
    this.base = Float64Array.from(params.baseScore);
    const total = params.rounds.reduce((s, round) => s + round.reduce((t, tree) => t + tree.feature.length, 0), 0);
    this.feature = new Int32Array(total);
    this.threshold = new Float64Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.value = new Float64Array(total);
    this.roots = new Int32Array(params.rounds.length * k);
    let at = 0;
    params.rounds.forEach((round, i) => {
      if (round.length !== k) throw new ModelError('MANIFEST_INVALID', `GBDT round ${i} has ${round.length} trees for ${k} classes`);
      round.forEach((t, c) => {
        const n = t.feature.length;
        if (n === 0 || [t.threshold, t.left, t.right, t.value].some((a) => a.length !== n)) throw new ModelError('MANIFEST_INVALID', `GBDT round ${i}: tree arrays differ in length`);
        for (let j = 0; j < n; j++) {
          const f = t.feature[j] as number;
          const l = t.left[j] as number;
          const r = t.right[j] as number;
          if (f >= params.inputDim || (f >= 0 && !(l > j && r > j && l < n && r < n))) throw new ModelError('MANIFEST_INVALID', `GBDT round ${i}: node ${j} is malformed`);
          this.feature[at + j] = f;
          this.threshold[at + j] = t.threshold[j] as number;
          this.left[at + j] = at + l;
          this.right[at + j] = at + r;
          this.value[at + j] = t.value[j] as number;
        }
        this.roots[i * k + c] = at;
        at += n;
      });
    });
  }

  /** Raw (margin) scores; a scratch buffer. */
  margins(row: ArrayLike<number>): Float64Array {
    if (row.length !== this.inputDim) throw new ModelError('INPUT_SHAPE', `expected ${this.inputDim} features, got ${row.length}`);
    const raw = this.raw;
    const k = raw.length;
    raw.set(this.base);
    for (let j = 0; j < row.length; j++) {
      if (Number.isNaN(row[j])) {
        raw.fill(Number.NaN);
        return raw;
      }
    }
    const { feature, threshold, left, right, value, roots } = this;
    // Leaf values are added per class in round order, as training added them.
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t] as number;
      let f = feature[node] as number;
      while (f >= 0) {
        node = (row[f] as number) <= (threshold[node] as number) ? (left[node] as number) : (right[node] as number);
        f = feature[node] as number;
      }
      const c = t % k;
      raw[c] = (raw[c] as number) + (value[node] as number);
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
