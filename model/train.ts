import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fitPolicy, type PolicyFitSummary, type PolicyOptions } from '../processors/decision/fit-policy.ts';
import { DEFAULT_LABEL_CONFIG } from '../processors/labels.ts';
import { BACKENDS, type BackendName } from './backend.ts';
import { fitCalibration, type CalibrationReport } from './calibration.ts';
import { fitFamily, type Candidate } from './candidates.ts';
import { mostlyEmptyColumns, readDataset, type Dataset } from './dataset.ts';
import { ModelError } from './errors.ts';
import { FAMILIES, FAMILY_CHOICES, SIMPLICITY_ORDER, scoreRows, type Family, type FamilyChoice, type FitInput } from './family.ts';
import type { TrainProgress } from './fit.ts';
import type { GbdtConfig } from './gbdt.ts';
import type { LogisticConfig } from './logistic.ts';
import type { ModelManifest } from './manifest.ts';
import { baselineMetrics, computeMetrics, type Metrics } from './metrics.ts';
import type { MlpConfig } from './mlp.ts';
import { loadPredictor, ModelPredictor } from './predictor.ts';
import { saveModel } from './save.ts';
import { chronologicalSplit, DEFAULT_SPLIT, type SplitOptions } from './split.ts';
import { fitStandardization } from './standardization.ts';
import { evaluateModel, type Evaluation } from './evaluation/evaluate-model.ts';
import { familyFit } from './evaluation/family-fit.ts';
import type { GateConfig } from './evaluation/gates.ts';
import type { CvScheme } from './evaluation/purged-folds.ts';

export interface TrainOptions {
  datasetPath: string;
  outDir: string;
  seed: number;
  /** Default 'mlp' here (the library's historical default); the CLI defaults to 'auto'. */
  family?: FamilyChoice;
  /** MLP: maximum epochs (default 50); early stopping usually ends sooner. */
  epochs?: number;
  backend?: BackendName;
  onProgress?: (p: TrainProgress) => void;
  batchSize?: number;
  /** MLP: early-stopping patience in epochs (default 5). */
  patience?: number;
  /** Defaults: 70/15/15, horizon = horizonBars x barIntervalMs, embargo 30 minutes. */
  split?: SplitOptions;
  /** Bar interval (default: `barIntervalMs=` from the dataset's comment line, else 5 minutes). */
  barIntervalMs?: number;
  mlp?: Partial<MlpConfig>;
  logistic?: Partial<LogisticConfig>;
  gbdt?: Partial<GbdtConfig>;
  /** Fit a calibrator on the validation split (default true). */
  calibrate?: boolean;
  /** Called when a family starts fitting (auto fits several). */
  onFamily?: (family: Family) => void;
  /** Purged cross-validation of the chosen family before the holdout (folds, purged k-fold by default); 0 (the default) skips it. `tickflow train` asks for 5. */
  cvFolds?: number;
  cvScheme?: CvScheme;
  onCvFold?: (fold: number, of: number) => void;
  /** Validation gate thresholds (default DEFAULT_GATES). */
  gates?: GateConfig;
  /** Best achievable AUC (synthetic markets), else the dataset's `bayesAuc=` metadata, else none. */
  bayesAuc?: number;
  /** Bootstrap replicates for every interval (default 1000). */
  bootstrapReplicates?: number;
  /** Decision policy knobs (costs, Kelly fraction, exits); its threshold is fitted on the validation split. */
  policy?: Partial<PolicyOptions>;
}

/** Epoch ms of the first and last row of each part of the chronological split. */
export interface SplitBounds {
  trainStart: number;
  trainEnd: number;
  validationStart: number;
  validationEnd: number;
  testStart: number;
  testEnd: number;
}

export interface TrainResult {
  modelId: string;
  family: Family;
  /** Test split, after calibration. */
  metrics: Metrics;
  /** Test split, the family's probabilities before calibration. */
  uncalibratedMetrics: Metrics;
  baseline: Metrics;
  validation: { metrics: Metrics; baseline: Metrics };
  calibration: CalibrationReport | null;
  /** Validation log loss (uncalibrated) of every family fitted; one entry unless `auto`. */
  candidates: { family: Family; validationLogLoss: number }[];
  split: SplitBounds;
  backend: BackendName;
  rows: number;
  skipped: Dataset['skipped'];
  /** Feature columns left out because most rows lack them (see mostlyEmptyColumns). */
  droppedColumns: string[];
  trainRows: number;
  validationRows: number;
  testRows: number;
  purgedRows: number;
  embargoedRows: number;
  /** MLP: epochs; logistic: L-BFGS iterations; GBDT: boosting rounds. */
  epochsRun: number;
  bestEpoch: number;
  manifest: ModelManifest;
  /** Intervals, cross-validation and the gate verdict (also in the manifest). */
  evaluation: Evaluation;
  /** The decision policy's fit on the validation split (the policy itself is in the manifest). */
  policyFit: PolicyFitSummary;
}

const optionsSchema = z.object({
  datasetPath: z.string().min(1),
  outDir: z.string().min(1),
  seed: z.number().int(),
  family: z.enum(FAMILY_CHOICES).default('mlp'),
  epochs: z.number().int().positive().default(50),
  backend: z.enum(BACKENDS).default('wasm'),
  batchSize: z.number().int().positive().default(256),
  patience: z.number().int().positive().default(5),
  barIntervalMs: z.number().positive().optional(),
  calibrate: z.boolean().default(true),
});

/** `auto` keeps a more complex family only if it lowers validation log loss by more than this. */
export const AUTO_TIE_TOLERANCE = 1e-4;

const positiveNumber = (meta: Record<string, string>, key: string): number | undefined => {
  const v = meta[key] === undefined ? Number.NaN : Number(meta[key]);
  return v > 0 ? v : undefined;
};

/**
 * Dataset CSV -> trained model in outDir (the family's parameter files and manifest.json).
 * Families fit on the train rows and select on the validation rows; `auto` fits every family and
 * keeps the lowest validation log loss (ties to the simpler, SIMPLICITY_ORDER); a calibrator is
 * fitted on the validation rows. Metrics are computed through the same float64 path the live
 * predictor uses, and checked against a fresh loadPredictor of the saved files.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const opts = optionsSchema.parse(options);
  if (opts.family === 'sequence' || opts.family === 'stack') {
    throw new ModelError('TRAINING_FAILED', `family ${opts.family} is not available in this build; use one of auto, ${FAMILIES.join(', ')}`);
  }
  const dropped = await mostlyEmptyColumns(opts.datasetPath);
  const ds = await readDataset(opts.datasetPath, { exclude: dropped });
  const horizonBars = positiveNumber(ds.meta, 'horizonBars') ?? DEFAULT_LABEL_CONFIG.horizonBars;
  const barIntervalMs = opts.barIntervalMs ?? positiveNumber(ds.meta, 'barIntervalMs') ?? 5 * 60_000;
  const flatBand = ds.meta['flatBand'] === undefined ? null : Number(ds.meta['flatBand']);
  const split = chronologicalSplit(ds.barEnd, {
    fractions: options.split?.fractions ?? DEFAULT_SPLIT.fractions,
    horizonMs: options.split?.horizonMs ?? horizonBars * barIntervalMs,
    embargoMs: options.split?.embargoMs ?? DEFAULT_SPLIT.embargoMs,
  });
  const standardization = fitStandardization(ds.features, ds.dim, split.train);
  const input: FitInput = {
    features: ds.features,
    dim: ds.dim,
    labels: ds.labels,
    train: split.train,
    validation: split.validation,
    standardization,
    seed: opts.seed,
  };
  const yTrain = Uint8Array.from(split.train, (r) => ds.labels[r] as number);
  const yVal = Uint8Array.from(split.validation, (r) => ds.labels[r] as number);
  const yTest = Uint8Array.from(split.test, (r) => ds.labels[r] as number);

  const families: readonly Family[] = opts.family === 'auto' ? SIMPLICITY_ORDER : [opts.family];
  // The same options for every family fitted here and for the refits of cross-validation.
  const familyOptions = {
    backend: opts.backend,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    patience: opts.patience,
    ...(options.mlp ? { mlp: options.mlp } : {}),
    ...(options.logistic ? { logistic: options.logistic } : {}),
    ...(options.gbdt ? { gbdt: options.gbdt } : {}),
  };
  const fitted: Candidate[] = [];
  try {
    for (const family of families) {
      options.onFamily?.(family);
      fitted.push(
        await fitFamily(family, input, { ...familyOptions, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }),
      );
    }
    let chosen = fitted[0] as Candidate;
    for (const c of fitted) if (c.validationLogLoss < chosen.validationLogLoss - AUTO_TIE_TOLERANCE) chosen = c;

    const cal = opts.calibrate ? fitCalibration(chosen.validationProbs, yVal) : null;
    const calibration = cal === null ? undefined : { ...cal.params, ...withoutMethod(cal.report) };
    const scoring = new ModelPredictor(placeholderManifest(calibration), chosen.model);
    const score = (rows: Uint32Array): Float64Array => {
      const out = new Float64Array(rows.length * 3);
      for (let r = 0; r < rows.length; r++) {
        const base = (rows[r] as number) * ds.dim;
        out.set(scoring.predict(ds.features.subarray(base, base + ds.dim)), r * 3);
      }
      return out;
    };
    const testProbs = score(split.test);
    const metrics = computeMetrics(testProbs, yTest);
    const uncalibratedMetrics = computeMetrics(scoreRows(chosen.model, ds.features, split.test), yTest);
    const baseline = baselineMetrics(yTrain, yTest);
    const validationProbs = score(split.validation);
    const validation = { metrics: computeMetrics(validationProbs, yVal), baseline: baselineMetrics(yTrain, yVal) };
    const policyFit = fitPolicy({ probs: validationProbs, fwdReturn: Float64Array.from(split.validation, (r) => ds.fwdReturn[r] as number), labels: yVal }, horizonBars, barIntervalMs, options.policy);
    const evaluation = await evaluateModel({
      data: { features: ds.features, dim: ds.dim, labels: ds.labels, barEnd: ds.barEnd },
      featureNames: ds.featureNames,
      trainRows: split.train,
      holdoutRows: split.test,
      holdoutProbs: testProbs,
      horizonMs: split.summary.horizonMs,
      embargoMs: split.summary.embargoMs,
      holdoutFraction: split.summary.fractions.test,
      seed: opts.seed,
      cv:
        (options.cvFolds ?? 0) === 0
          ? null
          : {
              // The chosen family, refitted per fold (options as for the final fit).
              fit: familyFit(chosen.family, { ...familyOptions, horizonMs: split.summary.horizonMs }),
              folds: options.cvFolds ?? 0,
              ...(options.cvScheme ? { scheme: options.cvScheme } : {}),
              ...(options.onCvFold ? { onFold: options.onCvFold } : {}),
            },
      holdoutEce: metrics.ece,
      bayesAuc: options.bayesAuc ?? positiveNumber(ds.meta, 'bayesAuc') ?? null,
      ...(options.gates ? { gates: options.gates } : {}),
      ...(options.bootstrapReplicates ? { replicates: options.bootstrapReplicates } : {}),
    });
    const manifest = await saveModel((dir) => chosen.write(dir), opts.outDir, {
      formatVersion: 1,
      featureSetHash: ds.featureSetHash ?? createHash('sha256').update(JSON.stringify(ds.featureNames)).digest('hex').slice(0, 16),
      featureSetHashSource: ds.featureSetHash === null ? 'feature-names' : 'dataset',
      featureNames: ds.featureNames,
      standardization,
      family: chosen.family,
      ...chosen.fields,
      ...(calibration === undefined ? {} : { calibration }),
      datasetSha256: ds.sha256,
      seed: opts.seed,
      labelConfig: { horizonBars, flatBand: Number.isFinite(flatBand) ? flatBand : null, barIntervalMs },
      split: split.summary,
      metrics,
      baseline,
      validation,
      createdFrom: { rows: ds.rows, skipped: ds.skipped, datasetMeta: ds.meta },
      evaluation,
      policy: policyFit.policy,
    });
    await verifySaved(opts.outDir, ds, split.test, testProbs);
    const s = split.summary;
    return {
      modelId: manifest.modelId,
      family: chosen.family,
      metrics,
      uncalibratedMetrics,
      baseline,
      validation,
      calibration: cal === null ? null : cal.report,
      candidates: fitted.map((c) => ({ family: c.family, validationLogLoss: c.validationLogLoss })),
      split: {
        trainStart: s.train.firstBarEnd,
        trainEnd: s.train.lastBarEnd,
        validationStart: s.validation.firstBarEnd,
        validationEnd: s.validation.lastBarEnd,
        testStart: s.test.firstBarEnd,
        testEnd: s.test.lastBarEnd,
      },
      backend: chosen.fields.backend ?? opts.backend,
      rows: ds.rows,
      skipped: ds.skipped,
      droppedColumns: [...dropped],
      trainRows: split.train.length,
      validationRows: split.validation.length,
      testRows: split.test.length,
      purgedRows: s.purged,
      embargoedRows: s.embargoed,
      epochsRun: chosen.iterationsRun,
      bestEpoch: chosen.bestIteration,
      manifest,
      evaluation,
      policyFit: policyFit.summary,
    };
  } finally {
    for (const c of fitted) c.dispose();
  }
}

function withoutMethod(r: CalibrationReport): Omit<CalibrationReport, 'method'> {
  const rest: Partial<CalibrationReport> = { ...r };
  delete rest.method;
  return rest as Omit<CalibrationReport, 'method'>;
}

/** Just enough manifest for ModelPredictor to apply the calibrator while training scores rows. */
function placeholderManifest(calibration: ModelManifest['calibration']): ModelManifest {
  return { modelId: '', featureSetHash: '', featureNames: [], ...(calibration === undefined ? {} : { calibration }) } as unknown as ModelManifest;
}

/** The saved files, loaded as live would load them, must score the test rows bit for bit alike. */
async function verifySaved(dir: string, ds: Dataset, rows: Uint32Array, expected: Float64Array): Promise<void> {
  const predictor = await loadPredictor(dir);
  const n = Math.min(rows.length, 2000);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    const p = predictor.predict(ds.features.subarray(r * ds.dim, (r + 1) * ds.dim));
    for (let c = 0; c < 3; c++) {
      if (!Object.is(p[c], expected[i * 3 + c])) {
        throw new ModelError('SAVED_MODEL_DIFFERS', `saved model ${predictor.modelId} in ${dir} does not reproduce the in-memory predictions (row ${r})`);
      }
    }
  }
}
