import type { Contribution } from '../../schemas/index.ts';

/**
 * The signal's "why": of per-feature contributions to the chosen class, the k largest by absolute
 * value, ties broken by feature name (ascending), so the choice is the same on every run. Zeros
 * and non-finite values are left out (a feature that did not move the class explains nothing).
 */
export function topContributions(values: ArrayLike<number>, names: readonly string[], k = 3): Contribution[] {
  const picked: Contribution[] = [];
  for (let j = 0; j < names.length; j++) {
    const v = values[j] as number;
    if (v === 0 || !Number.isFinite(v)) continue;
    const name = names[j] as string;
    const a = Math.abs(v);
    let at = picked.length;
    while (at > 0) {
      const p = picked[at - 1] as Contribution;
      const b = Math.abs(p.value);
      if (a > b || (a === b && name < p.feature)) at--;
      else break;
    }
    if (at < k) {
      picked.splice(at, 0, { feature: name, value: v });
      if (picked.length > k) picked.pop();
    }
  }
  return picked;
}
