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
