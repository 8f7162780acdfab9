import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DEFAULT_LABEL_CONFIG } from '../processors/labels.ts';
import { Rng } from '../processors/math/rng.ts';
import { BACKENDS, useBackend, type BackendName } from './backend.ts';
import { mostlyEmptyColumns, readDataset, type Dataset } from './dataset.ts';
import { DenseStack } from './dense-stack.ts';
import { ModelError } from './errors.ts';
import { fitWithEarlyStopping, type TrainProgress, type XY } from './fit.ts';
import type { ModelManifest } from './manifest.ts';
import { baselineMetrics, computeMetrics, type Metrics } from './metrics.ts';
import { buildMlp, DEFAULT_MLP, type MlpConfig } from './mlp.ts';
import { loadPredictor } from './predictor.ts';
import { RowScorer } from './row-scorer.ts';
import { saveModel } from './save.ts';
import { chronologicalSplit, DEFAULT_SPLIT, type SplitOptions } from './split.ts';
import { fitStandardization, standardizeRows } from './standardization.ts';
import { evaluateModel, type Evaluation } from './evaluation/evaluate-model.ts';
import type { GateConfig } from './evaluation/gates.ts';
import { mlpFit } from './evaluation/mlp-fit.ts';
import type { CvScheme } from './evaluation/purged-folds.ts';

export interface TrainOptions {
  datasetPath: string;
  outDir: string;
  seed: number;
  /** Maximum epochs (default 50); early stopping usually ends sooner. */
  epochs?: number;
  backend?: BackendName;
  onProgress?: (p: TrainProgress) => void;
  batchSize?: number;
  /** Early-stopping patience in epochs (default 5). */
  patience?: number;
  /** Defaults: 70/15/15, horizon = horizonBars x barIntervalMs, embargo 30 minutes. */
  split?: SplitOptions;
  /** Bar interval (default: `barIntervalMs=` from the dataset's comment line, else 5 minutes). */
  barIntervalMs?: number;
  mlp?: Partial<MlpConfig>;
  /** Purged cross-validation of the family before the holdout (folds, purged k-fold by default); 0 (the default) skips it. `tickflow train` asks for 5. */
  cvFolds?: number;
  cvScheme?: CvScheme;
  onCvFold?: (fold: number, of: number) => void;
  /** Validation gate thresholds (default DEFAULT_GATES). */
  gates?: GateConfig;
  /** Best achievable AUC (synthetic markets), else the dataset's `bayesAuc=` metadata, else none. */
  bayesAuc?: number;
  /** Bootstrap replicates for every interval (default 1000). */
  bootstrapReplicates?: number;
}

export interface TrainResult {
  modelId: string;
  /** Test split. */
  metrics: Metrics;
  baseline: Metrics;
  validation: { metrics: Metrics; baseline: Metrics };
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
  epochsRun: number;
  bestEpoch: number;
  manifest: ModelManifest;
  /** Intervals, cross-validation and the gate verdict (also in the manifest). */
  evaluation: Evaluation;
}

const optionsSchema = z.object({
  datasetPath: z.string().min(1),
  outDir: z.string().min(1),
  seed: z.number().int(),
  epochs: z.number().int().positive().default(50),
  backend: z.enum(BACKENDS).default('wasm'),
  batchSize: z.number().int().positive().default(256),
  patience: z.number().int().positive().default(5),
  barIntervalMs: z.number().positive().optional(),
});

const positiveNumber = (meta: Record<string, string>, key: string): number | undefined => {
  const v = meta[key] === undefined ? Number.NaN : Number(meta[key]);
  return v > 0 ? v : undefined;
};

/**
 * Dataset CSV -> trained MLP in outDir (model.json, weights.bin, manifest.json). Metrics are
 * computed with the float64 RowScorer, i.e. exactly as the live predictor scores, and checked
 * against a fresh loadPredictor of the saved files.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const opts = optionsSchema.parse(options);
  const mlp: MlpConfig = { ...DEFAULT_MLP, ...options.mlp };
  const backend = await useBackend(opts.backend);
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
  const xy = (rows: Uint32Array): XY => ({
    x: standardizeRows(ds.features, ds.dim, rows, standardization),
    y: Uint8Array.from(rows, (r) => ds.labels[r] as number),
    dim: ds.dim,
  });
  const trainXY = xy(split.train);
  const valXY = xy(split.validation);
  const testLabels = Uint8Array.from(split.test, (r) => ds.labels[r] as number);

  const rng = new Rng(opts.seed);
  const model = buildMlp(ds.dim, rng.nextUint32(), mlp);
  try {
    const fit = await fitWithEarlyStopping(model, trainXY, valXY, {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      patience: opts.patience,
      minDelta: 1e-4,
      rng: rng.fork(),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const scorer = new RowScorer(DenseStack.fromLayersModel(model), standardization);
    const testProbs = scorer.scoreRows(ds.features, split.test);
    const metrics = computeMetrics(testProbs, testLabels);
    const baseline = baselineMetrics(trainXY.y, testLabels);
    const validation = {
      metrics: computeMetrics(scorer.scoreRows(ds.features, split.validation), valXY.y),
      baseline: baselineMetrics(trainXY.y, valXY.y),
    };
    const evaluation = await evaluateTrained(ds, split, testProbs, opts.seed, options, { epochs: opts.epochs, batchSize: opts.batchSize, patience: opts.patience, mlp });
    const manifest = await saveModel(model, opts.outDir, {
      formatVersion: 1,
      featureSetHash: ds.featureSetHash ?? createHash('sha256').update(JSON.stringify(ds.featureNames)).digest('hex').slice(0, 16),
      featureSetHashSource: ds.featureSetHash === null ? 'feature-names' : 'dataset',
      featureNames: ds.featureNames,
      standardization,
      architecture: { layers: scorer.stack.architecture(), l2: mlp.l2 },
      datasetSha256: ds.sha256,
      seed: opts.seed,
      backend,
      labelConfig: { horizonBars, flatBand: Number.isFinite(flatBand) ? flatBand : null, barIntervalMs },
      split: split.summary,
      training: {
        epochs: opts.epochs,
        epochsRun: fit.epochsRun,
        bestEpoch: fit.bestEpoch,
        bestValLoss: fit.bestValLoss,
        batchSize: opts.batchSize,
        learningRate: mlp.learningRate,
        patience: opts.patience,
        tfjsVersion: tf.version.tfjs,
      },
      metrics,
      baseline,
      validation,
      createdFrom: { rows: ds.rows, skipped: ds.skipped, datasetMeta: ds.meta },
      evaluation,
    });
    await verifySaved(opts.outDir, ds, split.test, testProbs);
    return {
      modelId: manifest.modelId,
      metrics,
      baseline,
      validation,
      backend,
      rows: ds.rows,
      skipped: ds.skipped,
      droppedColumns: [...dropped],
      trainRows: split.train.length,
      validationRows: split.validation.length,
      testRows: split.test.length,
      purgedRows: split.summary.purged,
      embargoedRows: split.summary.embargoed,
      epochsRun: fit.epochsRun,
      bestEpoch: fit.bestEpoch,
      manifest,
      evaluation,
    };
  } finally {
    model.dispose();
  }
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

/**
 * Evaluation (model/evaluation/): holdout = the test split, with intervals beside the baseline;
 * purged CV of the same family on the rows before it; the gate verdict. Kept apart from the
 * training code above so a family only has to supply its FitFn.
 */
async function evaluateTrained(
  ds: Dataset,
  split: ReturnType<typeof chronologicalSplit>,
  testProbs: Float64Array,
  seed: number,
  options: TrainOptions,
  fitConfig: { epochs: number; batchSize: number; patience: number; mlp: MlpConfig },
): Promise<Evaluation> {
  const metaBayes = Number(ds.meta['bayesAuc']);
  const cvFolds = options.cvFolds ?? 0;
  const eceValue = (metrics: object): number | null => {
    const v = (metrics as Record<string, unknown>)['ece'];
    return typeof v === 'number' ? v : null;
  };
  return evaluateModel({
    data: { features: ds.features, dim: ds.dim, labels: ds.labels, barEnd: ds.barEnd },
    featureNames: ds.featureNames,
    trainRows: split.train,
    holdoutRows: split.test,
    holdoutProbs: testProbs,
    horizonMs: split.summary.horizonMs,
    embargoMs: split.summary.embargoMs,
    holdoutFraction: split.summary.fractions.test,
    seed,
    cv:
      cvFolds === 0
        ? null
        : {
            fit: mlpFit({ ...fitConfig, horizonMs: split.summary.horizonMs }),
            folds: cvFolds,
            ...(options.cvScheme ? { scheme: options.cvScheme } : {}),
            ...(options.onCvFold ? { onFold: options.onCvFold } : {}),
          },
    holdoutEce: eceValue(computeMetrics(testProbs, Uint8Array.from(split.test, (r) => ds.labels[r] as number))),
    bayesAuc: options.bayesAuc ?? (metaBayes > 0 ? metaBayes : null),
    ...(options.gates ? { gates: options.gates } : {}),
    ...(options.bootstrapReplicates ? { replicates: options.bootstrapReplicates } : {}),
  });
}
