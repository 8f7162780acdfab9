/** Two-sided 95% normal quantile. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for `hits` successes in `n` trials at 95% (Wilson 1927; Newcombe 1998,
 * method 3). Null for n = 0. One fixed sequence of IEEE operations (sqrt is exactly rounded), so
 * the same counts give the same bits everywhere: the model-health reports replay exactly.
 */
export function wilsonInterval(hits: number, n: number, z = Z95): [number, number] | null {
  if (n === 0) return null;
  const p = hits / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
