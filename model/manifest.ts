import { canonicalJson } from '../lib/canonical-json.ts';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ATTRIBUTION_METHODS } from './attribution.ts';
import { confidenceBandsSchema } from './confidence-bands.ts';
import { BACKENDS } from './backend-names.ts';
import { DENSE_ACTIVATIONS } from './dense-stack.ts';
import { ModelError } from './errors.ts';
import { evaluationSchema } from './evaluation/evaluate-model.ts';
import { FAMILIES } from './family.ts';
import { readJsonFile } from './read-json.ts';

export const MANIFEST_JSON = 'manifest.json';

const nullableNumbers = z.array(z.number().nullable());
export const metricsSchema = z.strictObject({
  n: z.number(),
  accuracy: z.number(),
  precision: nullableNumbers,
  recall: nullableNumbers,
  auc: nullableNumbers,
  macroAuc: z.number().nullable(),
  logLoss: z.number(),
  confusion: z.array(z.array(z.number())),
  classCounts: z.array(z.number()),
  /** Absent in manifests written before calibration was measured. */
  ece: z.number().optional(),
  brier: z.number().optional(),
});

const reliabilityPoints = z.array(z.strictObject({ bin: z.number().int(), count: z.number(), confidence: z.number(), accuracy: z.number() }));

/** The calibrator applied after the family's probabilities, fitted on the validation split or (D108) on out-of-fold predictions. */
export const calibrationSchema = z.strictObject({
  method: z.enum(['none', 'temperature', 'isotonic']),
  temperature: z.number().positive().optional(),
  isotonic: z.array(z.strictObject({ x: z.array(z.number()), y: z.array(z.number()) })).length(3).optional(),
  eceBefore: z.number(),
  eceAfter: z.number(),
  brierBefore: z.number(),
  brierAfter: z.number(),
  logLossBefore: z.number(),
  logLossAfter: z.number(),
  selectionLogLoss: z.strictObject({ temperature: z.number(), isotonic: z.number() }),
  reliabilityBefore: reliabilityPoints,
  reliabilityAfter: reliabilityPoints,
  /** D108: absent = fitted on the validation split (all manifests before it); 'out-of-fold' = on the out-of-fold predictions of train + validation. */
  fittedOn: z.literal('out-of-fold').optional(),
  rows: z.number().int().positive().optional(),
});

const pointErrorsSchema = z.strictObject({ mae: z.number(), rmse: z.number(), mapePrice: z.number(), directionalAccuracy: z.number().nullable() });
const perQuantileSchema = z.strictObject({ q10: z.number(), q50: z.number(), q90: z.number() });
/** Price-regression metrics of the heads (model/heads.ts regressionMetrics). */
const regressionSchema = z.strictObject({
  target: z.literal('fwdReturn'),
  n: z.number(),
  directionalRows: z.number(),
  model: pointErrorsSchema,
  persistence: pointErrorsSchema,
  drift: pointErrorsSchema,
  beatsPersistence: z.boolean(),
  beatsDrift: z.boolean(),
  interval: z.strictObject({ nominal: z.number(), coverage: z.number(), baselineCoverage: z.number() }),
  pinball: perQuantileSchema,
  baselinePinball: perQuantileSchema,
});

/** Forward-return heads (model/heads.ts): parameters on the manifest's standardization, and their test report. */
export const headsSchema = z.strictObject({
  method: z.literal('linear'),
  target: z.literal('fwdReturn'),
  quantiles: z.array(z.number()),
  config: z.strictObject({ l2: z.number(), smoothing: z.array(z.number()), maxIterations: z.number() }),
  params: z.strictObject({ kernel: z.array(z.number()), bias: z.array(z.number()) }),
  fitSummary: z.strictObject({ trainRows: z.number(), iterations: z.array(z.number()), converged: z.array(z.boolean()) }),
  test: z.strictObject({
    n: z.number(),
    expectedReturn: z.strictObject({ mae: z.number(), baselineMae: z.number() }),
    quantiles: z.strictObject({ coverage10: z.number(), coverage50: z.number(), coverage90: z.number(), pinball: z.number(), baselinePinball: z.number() }),
    /** Added later (price regression metrics): absent in older manifests. */
    regression: regressionSchema.optional(),
  }),
});

/** Permutation feature importance on the validation split (model/permutation-importance.ts). */
export const importanceSchema = z.strictObject({
  method: z.literal('permutation'),
  split: z.literal('validation'),
  metric: z.literal('logLoss'),
  repeats: z.number().int(),
  rows: z.number().int(),
  seed: z.number().int(),
  baselineLogLoss: z.number(),
  /** Sorted by logLossIncrease, largest first (ties: feature name). */
  features: z.array(z.strictObject({ feature: z.string(), logLossIncrease: z.number(), std: z.number() })),
});

/** The decision policy fitted on the validation split (processors/decision/policy.ts). */
export const policySchema = z.strictObject({
  version: z.literal(1),
  moveSource: z.enum(['classes', 'head']),
  roundTripCost: z.number().min(0),
  minNetEdge: z.number().min(0).nullable(),
  classMoves: z.tuple([z.number(), z.number(), z.number()]),
  kellyFraction: z.number().positive().max(1),
  maxSize: z.number().positive().max(1),
  stopAtr: z.number().positive().nullable(),
  targetAtr: z.number().positive().nullable(),
  timeoutBars: z.number().int().positive(),
  barIntervalMs: z.number().positive(),
  /** The option contract rule; absent in manifests written before it (such a model names no contract). */
  contract: z
    .strictObject({
      minTimeToExpiryMs: z.number().int().min(0),
      moneyness: z.enum(['ATM', 'OTM1']),
      maxChainAgeMs: z.number().int().min(0),
    })
    .optional(),
});

const range = z.strictObject({ rows: z.number(), firstBarEnd: z.number(), lastBarEnd: z.number() });

/**
 * manifest.json: everything needed to use and to audit a model. No timestamps and no paths, so
 * the same dataset bytes + seed + backend (+ code) give the same manifest and the same modelId.
 */
export const manifestSchema = z.strictObject({
  formatVersion: z.literal(1),
  modelId: z.string().regex(/^[0-9a-f]{16}$/),
  featureSetHash: z.string().min(1),
  /** 'dataset' when read from the dataset's `# featureSetHash=` line, else derived from the names. */
  featureSetHashSource: z.enum(['dataset', 'feature-names']),
  featureNames: z.array(z.string()),
  standardization: z.strictObject({ mean: z.array(z.number()), std: z.array(z.number()) }),
  /** Absent: an MLP (manifests written before families existed). */
  family: z.enum(FAMILIES).optional(),
  /** MLP only. */
  architecture: z
    .strictObject({
      layers: z.array(z.strictObject({ units: z.number().int(), activation: z.enum(DENSE_ACTIVATIONS) })),
      l2: z.number(),
    })
    .optional(),
  /** Family settings of the logistic and GBDT families (the MLP's are in architecture/training). */
  hyperparameters: z.record(z.string(), z.number()).optional(),
  /** What fitting did (rounds run, chosen penalty, convergence) for the logistic and GBDT families. */
  fitSummary: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
  calibration: calibrationSchema.optional(),
  datasetSha256: z.string().regex(/^[0-9a-f]{64}$/),
  seed: z.number().int(),
  /** The tfjs backend an MLP or sequence model was trained on (absent for families that do not use tfjs). */
  backend: z.enum(BACKENDS).optional(),
  labelConfig: z.strictObject({ horizonBars: z.number(), flatBand: z.number().nullable(), barIntervalMs: z.number() }),
  /**
   * `train --class-weight balanced`: the weights on the train split's classes (CLASSES order);
   * cross-validation folds and stack bases weight their own rows the same way. Absent: unweighted.
   */
  classWeight: z.strictObject({ method: z.literal('balanced'), trainWeights: z.array(z.number()) }).optional(),
  /**
   * `train --label percentile:<p>`: the FLAT band (also labelConfig.flatBand) is the p-th
   * percentile of |fwdReturn| over the train split (model/label-rule.ts); datasetFlatBand is the
   * band the dataset's own labels used. Absent: the dataset's labels.
   */
  labelRule: z
    .strictObject({ kind: z.literal('percentile'), p: z.number(), of: z.literal('abs-fwdReturn'), fittedOn: z.literal('train'), flatBand: z.number(), datasetFlatBand: z.number().nullable() })
    .optional(),
  /**
   * Trained on a triple-barrier dataset (replay dataset --label triple-barrier:<up>,<down>,<bars>):
   * barriers in multiples of σ (the std of the last volBars one-bar log returns), time limit in
   * bars; split and folds purged on each row's label end. Absent: direction labels.
   */
  tripleBarrier: z.strictObject({ up: z.number(), down: z.number(), bars: z.number(), volBars: z.number() }).optional(),
  split: z.strictObject({
    fractions: z.strictObject({ train: z.number(), validation: z.number(), test: z.number() }),
    horizonMs: z.number(),
    embargoMs: z.number(),
    validationStart: z.number(),
    testStart: z.number(),
    purged: z.number(),
    embargoed: z.number(),
    train: range,
    validation: range,
    test: range,
  }),
  /** MLP only. */
  training: z
    .strictObject({
      epochs: z.number(),
      epochsRun: z.number(),
      bestEpoch: z.number(),
      bestValLoss: z.number(),
      batchSize: z.number(),
      learningRate: z.number(),
      patience: z.number(),
      tfjsVersion: z.string(),
    })
    .optional(),
  /** Test split. */
  metrics: metricsSchema,
  baseline: metricsSchema,
  validation: z.strictObject({ metrics: metricsSchema, baseline: metricsSchema }),
  createdFrom: z.strictObject({
    rows: z.number(),
    skipped: z.strictObject({ emptyFeature: z.number(), nonFiniteFeature: z.number(), missingLabel: z.number() }),
    datasetMeta: z.record(z.string(), z.string()),
  }),
  /** Forward-return heads (absent in models trained before them: signals then carry nulls). */
  heads: headsSchema.optional(),
  /** How signals explain themselves (absent in models trained before: no contributions). */
  contributions: z.strictObject({ method: z.enum(ATTRIBUTION_METHODS), space: z.literal('centered-logit'), top: z.number().int() }).optional(),
  importance: importanceSchema.optional(),
  /**
   * `train --seeds N`: the model is the average of N members' probabilities, member i fitted with
   * seed seeds[i] and saved in seed-<i>/ (model/seed-average.ts); absent for a single-seed model.
   */
  seedAverage: z.strictObject({ seeds: z.array(z.number().int()).min(2) }).optional(),
  /** Holdout intervals, cross-validation and the gate verdict (absent in models trained before). */
  evaluation: evaluationSchema.optional(),
  /** The decision policy (absent in models trained before: the threshold rule decides). */
  policy: policySchema.optional(),
  /** Accuracy by confidence on the test split (model/confidence-bands.ts; absent in models trained before). */
  confidenceBands: confidenceBandsSchema.optional(),
});

export type ModelManifest = z.infer<typeof manifestSchema>;

/**
 * modelId = first 16 hex digits of sha256(canonical JSON of the manifest without modelId, a NUL
 * byte, the weights bytes: weights.bin, or an imported model's model.onnx). Metrics are included:
 * they are a deterministic function of the rest, so they change only when something upstream did.
 */
export function computeModelId(manifest: object, weights: Uint8Array): string {
  const rest: Record<string, unknown> = { ...manifest };
  delete rest['modelId'];
  return createHash('sha256').update(canonicalJson(rest)).update(new Uint8Array([0])).update(weights).digest('hex').slice(0, 16);
}

/** Reads and validates manifest.json; throws ModelError('MANIFEST_INVALID') with the reasons. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MANIFEST_JSON);
  const data = await readJsonFile(path, manifestSchema, 'model manifest');
  const family = data.family ?? 'mlp';
  if (family === 'mlp' && (data.architecture === undefined || data.training === undefined || data.backend === undefined)) {
    throw new ModelError('MANIFEST_INVALID', `${path}: an MLP manifest needs architecture, training and backend`);
  }
  return data;
}
