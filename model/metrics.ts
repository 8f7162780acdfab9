import { macroAuc, perClassAuc } from '../processors/math/auc.ts';
import { CLASSES } from '../processors/types.ts';

const K = CLASSES.length;
/** Probabilities are clipped to [EPS, 1 - EPS] in the log loss (as scikit-learn's log_loss did). */
const EPS = 1e-15;

/**
 * Classification metrics, JSON-safe (null where undefined, e.g. precision of a class never
 * predicted, AUC of a class absent from the rows). Per-class arrays follow CLASSES order.
 */
export interface Metrics {
  n: number;
  accuracy: number;
  precision: (number | null)[];
  recall: (number | null)[];
  auc: (number | null)[];
  macroAuc: number | null;
  logLoss: number;
  /** confusion[true][predicted]. */
  confusion: number[][];
  classCounts: number[];
}

/** Predicted class: argmax, ties to the lowest index (CLASSES order). */
export function argmax(p: ArrayLike<number>, offset = 0, k = K): number {
  let best = 0;
  for (let c = 1; c < k; c++) if ((p[offset + c] as number) > (p[offset + best] as number)) best = c;
  return best;
}

/** `probs` is row-major n x 3 (CLASSES order); `labels` are class indices. */
export function computeMetrics(probs: Float64Array, labels: ArrayLike<number>): Metrics {
  const n = labels.length;
  if (n === 0 || probs.length !== n * K) throw new RangeError(`need n > 0 rows of ${K} probabilities, got ${probs.length} for ${n} labels`);
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const pred = argmax(probs, i * K);
    (confusion[y] as number[])[pred] = ((confusion[y] as number[])[pred] as number) + 1;
    if (pred === y) correct++;
  }
  const classCounts = confusion.map((row) => row.reduce((s, v) => s + v, 0));
  const predicted = Array.from({ length: K }, (_, c) => confusion.reduce((s, row) => s + (row[c] as number), 0));
  const diag = (c: number): number => (confusion[c] as number[])[c] as number;
  const rows = Array.from({ length: n }, (_, i) => probs.subarray(i * K, i * K + K));
  return {
    n,
    accuracy: correct / n,
    precision: predicted.map((p, c) => (p === 0 ? null : diag(c) / p)),
    recall: classCounts.map((t, c) => (t === 0 ? null : diag(c) / t)),
    auc: perClassAuc(rows, labels, K),
    macroAuc: macroAuc(rows, labels, K),
    logLoss: meanLogLoss(probs, labels),
    confusion,
    classCounts,
  };
}

/** Class frequencies of the train labels (the majority-class baseline's probabilities). */
export function classFrequencies(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i] as number] = (counts[labels[i] as number] as number) + 1;
  return counts.map((c) => c / labels.length);
}

/**
 * Metrics of the majority-class baseline: every row gets the train class frequencies, so it
 * predicts the most frequent train class, and every AUC is exactly 0.5 (all scores tie).
 */
export function baselineMetrics(trainLabels: ArrayLike<number>, labels: ArrayLike<number>): Metrics {
  const freq = classFrequencies(trainLabels);
  const probs = new Float64Array(labels.length * K);
  for (let i = 0; i < labels.length; i++) probs.set(freq, i * K);
  return computeMetrics(probs, labels);
}

/** Mean log loss of row-major probabilities (the early-stopping criterion). */
export function meanLogLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    s -= Math.log(Math.min(1 - EPS, Math.max(EPS, probs[i * K + (labels[i] as number)] as number)));
  }
  return s / labels.length;
}
