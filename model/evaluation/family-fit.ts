import { fitFamily, type FamilyOptions } from '../candidates.ts';
import type { BaseFamily } from '../family.ts';
import { fitStandardization } from '../standardization.ts';
import type { FitFn, TrainingData } from './cross-validate.ts';
import { stoppingSplit } from './mlp-fit.ts';

export interface FamilyFitOptions extends Omit<FamilyOptions, 'onProgress'> {
  /** Label horizon: the model-selection slice is purged from the rows it is fitted on. */
  horizonMs: number;
  /** Share of the given rows (the latest) kept for the family's own choices (early stopping, penalty), default 0.15 / 0.85 as train uses. */
  stoppingFraction?: number;
}

/**
 * Any family as a FitFn for cross-validation: the latest `stoppingFraction` of the fold's training
 * rows (cut at a bar end, purged by the horizon) plays the validation split the family uses for
 * its own choices, standardization is fitted on the rest, and predictions are the family's
 * uncalibrated float64 scores (the calibrator is fitted on the validation split of the final fit,
 * so CV judges the family, not the calibrator).
 */
export function familyFit(family: BaseFamily, options: FamilyFitOptions): FitFn {
  const { horizonMs, stoppingFraction = 0.15 / 0.85, ...familyOptions } = options;
  return async (data: TrainingData, rows: Uint32Array, seed: number) => {
    const { fit, stop } = stoppingSplit(data.barEnd, rows, stoppingFraction, horizonMs);
    const standardization = fitStandardization(data.features, data.dim, fit);
    const candidate = await fitFamily(family, { features: data.features, dim: data.dim, labels: data.labels, train: fit, validation: stop, standardization, seed }, familyOptions);
    return {
      predict: (row: Float64Array) => Float64Array.from(candidate.model.score(row)),
      dispose: () => candidate.dispose(),
    };
  };
}
