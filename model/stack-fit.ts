import { canonicalJson } from '../lib/canonical-json.ts';
import { fitFamily, type FamilyOptions } from './candidates.ts';
import { BASE_FAMILIES } from './family.ts';
import { fitStandardization } from './standardization.ts';
import { fitMeta, outOfFold, StackModel, type OutOfFold, type StackParams } from './stack.ts';
import type { FitFn, TrainingData } from './evaluation/cross-validate.ts';
import { familyFit } from './evaluation/family-fit.ts';
import { stoppingSplit } from './evaluation/mlp-fit.ts';

export interface StackFitOptions extends Omit<FamilyOptions, 'onProgress'> {
  horizonMs: number;
  embargoMs: number;
  /** Purged folds of the out-of-fold predictions. */
  folds: number;
  /** Latest share of the rows kept for the bases' own choices (early stopping, penalty), as train uses. */
  stoppingFraction?: number;
}

/** The bases as FitFns for the out-of-fold predictions (each carves its own early-stopping slice, purged). */
export function baseFits(o: StackFitOptions): FitFn[] {
  return BASE_FAMILIES.map((f) => familyFit(f, { ...familyOptionsOf(o), horizonMs: o.horizonMs, ...(o.stoppingFraction === undefined ? {} : { stoppingFraction: o.stoppingFraction }) }));
}

function familyOptionsOf(o: StackFitOptions): Omit<FamilyOptions, 'onProgress'> {
  return {
    backend: o.backend,
    epochs: o.epochs,
    batchSize: o.batchSize,
    patience: o.patience,
    ...(o.classWeight ? { classWeight: o.classWeight } : {}),
    ...(o.mlp ? { mlp: o.mlp } : {}),
    ...(o.logistic ? { logistic: o.logistic } : {}),
    ...(o.gbdt ? { gbdt: o.gbdt } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  };
}

/**
 * The serving stack: every base refitted on all `rows` (the latest stoppingFraction, purged, for
 * its early stopping and penalty choice; one standardization fitted on the rest), the
 * meta-learner on the out-of-fold predictions of all of `rows`. Parameters come back through
 * canonical JSON, as they will be read from disk.
 */
export async function fitStack(data: TrainingData, rows: Uint32Array, oof: OutOfFold, seed: number, o: StackFitOptions): Promise<{ params: StackParams; summary: Record<string, number> }> {
  const { fit, stop } = stoppingSplit(data.barEnd, rows, o.stoppingFraction ?? 0.15 / 0.85, o.horizonMs);
  const standardization = fitStandardization(data.features, data.dim, fit);
  const input = { features: data.features, dim: data.dim, labels: data.labels, train: fit, validation: stop, standardization, seed };
  const familyOptions = familyOptionsOf(o);
  const bases: StackParams['bases'] = [];
  const summary: Record<string, number> = {};
  for (const family of BASE_FAMILIES) {
    const c = await fitFamily(family, input, familyOptions);
    try {
      bases.push({ family, params: c.params });
      summary[`${family}Iterations`] = c.bestIteration;
      summary[`${family}ValidationLogLoss`] = c.validationLogLoss;
    } finally {
      c.dispose();
    }
  }
  const meta = fitMeta(oof, Uint32Array.from({ length: oof.rows.length }, (_, i) => i));
  const params = JSON.parse(canonicalJson({ inputDim: data.dim, standardization, bases, meta })) as StackParams;
  return { params, summary };
}

/**
 * The stack as a FitFn (cross-validation of the stack itself): out-of-fold predictions of the
 * bases on the given rows with o.folds purged folds, the meta-learner on them, the bases refitted.
 */
export function stackFit(o: StackFitOptions): FitFn {
  return async (data: TrainingData, rows: Uint32Array, seed: number) => {
    const oof = await outOfFold(data, rows, baseFits(o), { folds: o.folds, horizonMs: o.horizonMs, embargoMs: o.embargoMs, seed });
    const { params } = await fitStack(data, rows, oof, seed, o);
    const model = new StackModel(params);
    return { predict: (row: Float64Array) => Float64Array.from(model.score(row)) };
  };
}
