/**
 * The arithmetic of the cross-asset features, as plain functions over arrays (no state), so the
 * known-answer tests can check each against the pandas reference. Sums run in index order (fixed
 * reduction order: the same inputs give the same bits).
 */

/** Pearson correlation and beta (cov / var of y) over the pairs where both x[i] and y[i] are numbers. */
export function corrBeta(x: readonly (number | null)[], y: readonly (number | null)[], minPairs: number): { corr: number | null; beta: number | null; pairs: number } {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = y[i];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    n++;
    sx += a;
    sy += b;
  }
  if (n < minPairs || n < 2) return { corr: null, beta: null, pairs: n };
  const mx = sx / n;
  const my = sy / n;
  // Two passes (means, then centred sums): no cancellation of large squares.
  let cxy = 0;
  let cxx = 0;
  let cyy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = y[i];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    const dx = a - mx;
    const dy = b - my;
    cxy += dx * dy;
    cxx += dx * dx;
    cyy += dy * dy;
  }
  const beta = cyy > 0 ? cxy / cyy : null;
  const den = Math.sqrt(cxx * cyy);
  const corr = den > 0 ? Math.max(-1, Math.min(1, cxy / den)) : null;
  return { corr, beta, pairs: n };
}

/** Population standard deviation (ddof 0) of the numbers among xs; null with fewer than minCount. */
export function stdOfPresent(xs: readonly (number | null)[], minCount: number): number | null {
  let n = 0;
  let s = 0;
  for (const v of xs) {
    if (v === null) continue;
    n++;
    s += v;
  }
  if (n < minCount || n < 1) return null;
  const m = s / n;
  let q = 0;
  for (const v of xs) {
    if (v === null) continue;
    q += (v - m) * (v - m);
  }
  return Math.sqrt(q / n);
}

/**
 * Percentile rank of the last value of `window` among all of it (the last included), ties
 * averaged: (number below + (number equal + 1) / 2) / n, in (0, 1]; pandas'
 * `rolling(n).rank(pct=True)` (method 'average'). Null when any value is missing.
 */
export function percentileRankOfLast(window: readonly (number | null)[]): number | null {
  const n = window.length;
  if (n === 0) return null;
  const cur = window[n - 1];
  if (cur === null || cur === undefined) return null;
  let below = 0;
  let equal = 0;
  for (const v of window) {
    if (v === null) return null;
    if (v < cur) below++;
    else if (v === cur) equal++;
  }
  return (below + (equal + 1) / 2) / n;
}

/** a × b, or null when either is. */
export function product(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a * b;
}
