/**
 * Class weights for unbalanced labels. `balanced` is scikit-learn's rule,
 * w_c = n / (k * n_c) over the training rows, where k counts the classes present there (an absent
 * class gets weight 0; no row has it). The weights are computed from the training rows given and
 * only ever multiply those rows' loss: validation rows (early stopping, model and penalty choice,
 * calibration) and test rows are scored as they are. Computed inside each fit, so a
 * cross-validation fold or a stack base fitted on its own rows gets weights from those rows only.
 */
export const CLASS_WEIGHT_CHOICES = ['none', 'balanced'] as const;
export type ClassWeightChoice = (typeof CLASS_WEIGHT_CHOICES)[number];

export function balancedClassWeights(labels: ArrayLike<number>, rows: ArrayLike<number>, k = 3): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < rows.length; i++) {
    const c = labels[rows[i] as number] as number;
    counts[c] = (counts[c] as number) + 1;
  }
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c === 0 ? 0 : rows.length / (present * c)));
}

/** The weights a choice gives on the training rows, or null for `none` (the unweighted fit, unchanged). */
export function classWeightsFor(choice: ClassWeightChoice | undefined, labels: ArrayLike<number>, rows: ArrayLike<number>, k = 3): number[] | null {
  return choice === 'balanced' ? balancedClassWeights(labels, rows, k) : null;
}
