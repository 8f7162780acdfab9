/**
 * ROC AUC by ranks (Mann-Whitney U), ties counted as half. Returns null when one class is absent.
 * Deterministic: the sort is stable on equal scores.
 */
export function binaryAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
  let nPos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (positive[idx[k] as number]) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Macro one-vs-rest AUC over K classes: the mean of each class's AUC of its own probability
 * against the rest, over the classes present with both positives and negatives.
 */
export function macroAuc(probs: ArrayLike<ArrayLike<number>>, labels: ArrayLike<number>, k = 3): number | null {
  const per = perClassAuc(probs, labels, k).filter((a): a is number => a !== null);
  return per.length === 0 ? null : per.reduce((s, a) => s + a, 0) / per.length;
}

export function perClassAuc(probs: ArrayLike<ArrayLike<number>>, labels: ArrayLike<number>, k = 3): (number | null)[] {
  const out: (number | null)[] = [];
  for (let c = 0; c < k; c++) {
    const s = Array.from({ length: labels.length }, (_, i) => (probs[i] as ArrayLike<number>)[c] as number);
    const pos = Array.from({ length: labels.length }, (_, i) => labels[i] === c);
    out.push(binaryAuc(s, pos));
  }
  return out;
}

/** Largest row count for which macroAucRows' rank sums stay exact integers/halves in float64 (n(n+1)/2 < 2^52). */
const EXACT_ROWS = 1 << 25;

/**
 * macroAuc of row-major n x k probabilities, bit for bit the same number, without building row
 * views and index arrays: per class the scores and the positives' scores are copied into
 * reusable Float64Arrays and sorted by the typed-array sort; each tie group's average rank is
 * added once per positive in it, as binaryAuc adds it (rank sums are multiples of 1/2 below 2^52,
 * so every partial sum is exact and the order of the additions cannot change the result). The
 * block bootstrap of the evaluation calls this thousands of times (model/evaluation/metric-intervals.ts).
 * Scores with a NaN go to macroAuc itself (its comparator defines their order).
 */
export function macroAucRows(probs: ArrayLike<number>, labels: ArrayLike<number>, k = 3): number | null {
  const n = labels.length;
  for (let i = 0; i < n * k; i++) {
    if (Number.isNaN(probs[i])) return macroAuc(Array.from({ length: n }, (_, r) => Array.from({ length: k }, (_, c) => probs[r * k + c] as number)), labels, k);
  }
  if (n > EXACT_ROWS) return macroAuc(Array.from({ length: n }, (_, r) => Array.from({ length: k }, (_, c) => probs[r * k + c] as number)), labels, k);
  const all = new Float64Array(n);
  const posBuf = new Float64Array(n);
  let total = 0;
  let defined = 0;
  for (let c = 0; c < k; c++) {
    let nPos = 0;
    for (let i = 0; i < n; i++) {
      const s = probs[i * k + c] as number;
      all[i] = s;
      if (labels[i] === c) posBuf[nPos++] = s;
    }
    const nNeg = n - nPos;
    if (nPos === 0 || nNeg === 0) continue;
    all.sort();
    const pos = posBuf.subarray(0, nPos);
    pos.sort();
    let rankSumPos = 0;
    let p = 0;
    let i = 0;
    while (i < n) {
      const v = all[i] as number;
      let j = i;
      while (j + 1 < n && all[j + 1] === v) j++;
      let inGroup = 0;
      while (p < nPos && pos[p] === v) {
        p++;
        inGroup++;
      }
      rankSumPos += ((i + j) / 2 + 1) * inGroup;
      i = j + 1;
    }
    total += (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
    defined++;
  }
  return defined === 0 ? null : total / defined;
}
