import { macroAuc, perClassAuc } from '../processors/math/auc.ts';
import { CLASSES } from '../processors/types.ts';

const K = CLASSES.length;
/** Probabilities are clipped to [EPS, 1 - EPS] in the log loss (as scikit-learn's log_loss did). */
const EPS = 1e-15;
const ECE_BINS = 10;

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
  /** Expected calibration error: 10 equal-width bins of top-class confidence. */
  ece: number;
  /** Multiclass Brier score: mean of sum_k (p_k - [y = k])^2. */
  brier: number;
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
    ece: reliability(probs, labels).ece,
    brier: brierScore(probs, labels),
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

/** One reliability-diagram point: rows whose top-class confidence falls in [lo, lo + 0.1). */
export interface ReliabilityPoint {
  bin: number;
  count: number;
  confidence: number;
  accuracy: number;
}

/** Expected calibration error: 10 equal-width bins of top-class confidence, weighted |accuracy - confidence|. */
export function reliability(probs: ArrayLike<number>, labels: ArrayLike<number>): { ece: number; points: ReliabilityPoint[] } {
  const n = labels.length;
  const count = new Float64Array(ECE_BINS);
  const conf = new Float64Array(ECE_BINS);
  const hits = new Float64Array(ECE_BINS);
  for (let i = 0; i < n; i++) {
    const top = argmax(probs, i * K);
    const c = probs[i * K + top] as number;
    const b = Math.min(ECE_BINS - 1, Math.floor(c * ECE_BINS));
    count[b] = (count[b] as number) + 1;
    conf[b] = (conf[b] as number) + c;
    if (top === (labels[i] as number)) hits[b] = (hits[b] as number) + 1;
  }
  let ece = 0;
  const points: ReliabilityPoint[] = [];
  for (let b = 0; b < ECE_BINS; b++) {
    const m = count[b] as number;
    if (m === 0) continue;
    const confidence = (conf[b] as number) / m;
    const accuracy = (hits[b] as number) / m;
    ece += (m / n) * Math.abs(accuracy - confidence);
    points.push({ bin: b, count: m, confidence, accuracy });
  }
  return { ece, points };
}

/** Multiclass Brier score: mean over rows of sum_k (p_k - [y = k])^2. */
export function brierScore(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let k = 0; k < K; k++) {
      const d = (probs[i * K + k] as number) - (k === (labels[i] as number) ? 1 : 0);
      s += d * d;
    }
  }
  return s / labels.length;
}

