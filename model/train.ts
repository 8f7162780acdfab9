import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fitPolicy, type PolicyFitSummary, type PolicyOptions } from '../processors/decision/fit-policy.ts';
import { DEFAULT_LABEL_CONFIG } from '../processors/labels.ts';
import { BACKENDS, type BackendName } from './backend.ts';
import { ATTRIBUTION_OF } from './attribution.ts';
import { applyCalibration, calibrateAll, fitCalibration, fitCalibrationOutOfFold, type CalibrationReport } from './calibration.ts';
import { fitFamily, paramsWriter, type Candidate } from './candidates.ts';
import { datasetBarIntervalMs, mostlyEmptyColumns, readDataset, type Dataset } from './dataset.ts';
import { ModelError } from './errors.ts';
import { labelsForBand, percentileBand, type LabelRule } from './label-rule.ts';
import { balancedClassWeights, CLASS_WEIGHT_CHOICES, type ClassWeightChoice } from './class-weights.ts';
import { BASE_FAMILIES, FAMILY_CHOICES, scoreRows, type Family, type FamilyChoice, type FitInput } from './family.ts';
import type { TrainProgress } from './fit.ts';
import type { GbdtConfig } from './gbdt.ts';
import { DEFAULT_HEADS, evaluateHeads, fitHeads, HeadsModel, QUANTILES, type HeadsConfig, type HeadsParams, type HeadsReport } from './heads.ts';
import type { LogisticConfig } from './logistic.ts';
import type { ModelManifest } from './manifest.ts';
import { argmax, baselineMetrics, classFrequencies, computeMetrics, meanLogLoss, type Metrics } from './metrics.ts';
import { accuracyByConfidence, type ConfidenceBands } from './confidence-bands.ts';
import type { MlpConfig } from './mlp.ts';
import { loadPredictor, ModelPredictor } from './predictor.ts';
import { permutationImportance, type PermutationOptions } from './permutation-importance.ts';
import { saveModel } from './save.ts';
import { chooseFamily, foldLogLosses, type Selection, type SelectionCandidate } from './selection.ts';
import { DEFAULT_STACK_FOLDS, META_L2, metaOutOfFold, outOfFold, StackModel, type FoldHelper } from './stack.ts';
import { baseFits, fitStack, stackFit, type StackFitOptions } from './stack-fit.ts';
import { concatBytes, SeedAverage, seedDir, spread, type Spread } from './seed-average.ts';
import { chronologicalSplit, DEFAULT_SPLIT, type SplitOptions } from './split.ts';
import { buildWindows, DEFAULT_SEQUENCE, windowFeatureNames, withFullWindow, type SequenceConfig } from './sequence.ts';
import { fitStandardization } from './standardization.ts';
import { evaluateModel, type Evaluation } from './evaluation/evaluate-model.ts';
import { familyFit } from './evaluation/family-fit.ts';
import type { GateConfig } from './evaluation/gates.ts';
import type { CvScheme } from './evaluation/purged-folds.ts';
import type { Logger } from '../lib/log.ts';

export interface TrainOptions {
  datasetPath: string;
  outDir: string;
  seed: number;
  /** Default 'mlp' here (the library's historical default); the CLI defaults to 'auto'. */
  family?: FamilyChoice;
  /** MLP: maximum epochs (default 50); early stopping usually ends sooner. */
  epochs?: number;
  backend?: BackendName;
  /** Where the model lab reports what it falls back to (lib/log.ts). Default: silent. */
  logger?: Logger;
  onProgress?: (p: TrainProgress) => void;
  batchSize?: number;
  /** MLP: early-stopping patience in epochs (default 5). */
  patience?: number;
  /** Defaults: 70/15/15, horizon = horizonBars x barIntervalMs, embargo = the horizon (30 minutes at 5m). */
  split?: SplitOptions;
  /** Bar interval (default: the dataset's `barIntervalMs` or `interval` metadata, else 5 minutes). */
  barIntervalMs?: number;
  mlp?: Partial<MlpConfig>;
  logistic?: Partial<LogisticConfig>;
  gbdt?: Partial<GbdtConfig>;
  /** Sequence family settings (default DEFAULT_SEQUENCE: 16 steps, 16 filters). */
  sequence?: Partial<SequenceConfig>;
  /** Fit a calibrator (default true): on the validation split, or (D108) on out-of-fold predictions, see calibrateOn. */
  calibrate?: boolean;
  /**
   * D108: what the calibrator is fitted on. 'validation' (the default) the validation split;
   * 'out-of-fold' (`auto` and `stack` with one seed, which compute them; ignored otherwise) the
   * chosen family's purged out-of-fold predictions of train + validation, the method chosen
   * across the same folds. Measured on the 10 bench markets it was not better (docs/benchmarks.md),
   * so it is not the default.
   */
  calibrateOn?: 'out-of-fold' | 'validation';
  /**
   * Class weights (model/class-weights.ts): `balanced` weights each class n / (k n_c), computed
   * from the rows each fit trains on (the train split; a fold's or stack base's own rows), applied
   * to those rows only. Default `none`.
   */
  classWeight?: ClassWeightChoice;
  /** Labels (model/label-rule.ts): the dataset's (`band`, the default) or `percentile` of |fwdReturn| fitted on the train split. */
  label?: LabelRule;
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
  /** Forward-return heads settings (default DEFAULT_HEADS). */
  heads?: Partial<HeadsConfig>;
  /** Permutation importance on the validation split (defaults: 3 repeats, at most 2000 rows). */
  importance?: Partial<Pick<PermutationOptions, 'repeats' | 'maxRows'>>;
  /** `auto` and `stack`: purged folds of the out-of-fold predictions on train + validation (default 5). */
  selectionFolds?: number;
  onSelectionFold?: (fold: number, of: number) => void;
  /**
   * `auto` and `stack`: a second thread (model/fold-helper.ts FoldWorker) that shares the
   * out-of-fold fits; the same predictions, bit for bit, in about half the wall time on 2 cores.
   * Fold progress (onSelectionFold) is then reported when all folds are done.
   */
  foldWorker?: { helperFor(options: StackFitOptions): FoldHelper };
  /**
   * Seeds to train (default 1): the chosen family is fitted with seed, seed + 1, … seed + N - 1;
   * the saved model is the average of their probabilities (calibrated as one model) and the
   * result's `seeds` reports each member's test metrics with their mean and spread.
   */
  seeds?: number;
  /** Decision policy knobs (costs, Kelly fraction, exits); its threshold is fitted on the validation split. */
  policy?: Partial<PolicyOptions>;
  /**
   * The expected move the policy's threshold is fitted on (and trades on): 'head' (default) the
   * model's expectedReturn head on the validation rows (every trained model has one), 'classes'
   * the calibrated probabilities times each class's mean validation return.
   */
  policyMove?: 'head' | 'classes';
}

/** `train --seeds N`: the members' test-split metrics (uncalibrated), their mean and spread. */
export interface SeedReport {
  n: number;
  seeds: number[];
  auc: Spread;
  logLoss: Spread;
  accuracy: Spread;
  /** Each member's test metrics, in seed order. */
  members: { seed: number; auc: number | null; logLoss: number; accuracy: number }[];
}

/**
 * One family's figures. A single family: validationLogLoss of the family fitted on train.
 * `auto` and `stack`: the out-of-fold log loss on train + validation (cvLogLoss, what `auto`
 * chooses by), per fold, and validationLogLoss = the out-of-fold log loss of the validation rows.
 */
export interface CandidateReport {
  family: Family;
  validationLogLoss: number;
  cvLogLoss?: number;
  cvLogLossPerFold?: number[];
}

/** Permutation importance defaults for train (rows evenly strided over the validation split). */
export const TRAIN_IMPORTANCE = { repeats: 3, maxRows: 2000 } as const;

/** How many features train's result lists from the permutation importance (the manifest has all). */
export const IMPORTANCE_TOP = 10;

/** Signals carry this many contributions (the infer operator's TOP_CONTRIBUTIONS). */
const CONTRIBUTIONS_TOP = 3;
/** Out-of-fold jobs with a helper thread: the bases' indices in BASE_FAMILIES, slowest first. */
const SLOWEST_FIRST = (['mlp', 'gbdt', 'logistic'] as const).map((f) => BASE_FAMILIES.indexOf(f));

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
  /**
   * D108: when the calibrator was fitted out of fold, what the validation-only calibrator (the
   * rule before D108) would have given on the same model's test rows (only scored, never fitted
   * on): its method, ECE, log loss and Brier score. Null otherwise.
   */
  calibrationOnValidation: { method: CalibrationReport['method']; testEce: number; testLogLoss: number; testBrier: number; testAuc: number | null } | null;
  /**
   * A single family: its validation log loss (uncalibrated). `auto` and `stack`: every family's
   * out-of-fold log loss on train + validation (purged k-fold), the figure `auto` chooses by; the
   * chosen family's validation log loss too.
   */
  candidates: CandidateReport[];
  /** `auto`: how the family was chosen (null for a named family). */
  selection: (Selection & { folds: number; criterion: 'purged-cv-log-loss' }) | null;
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
  /** Forward-return heads on the test split beside train-split baselines (also in the manifest). */
  heads: Omit<HeadsReport, 'n'> & { n: number };
  /** The IMPORTANCE_TOP features of the permutation importance on validation (all are in the manifest). */
  importance: { feature: string; logLossIncrease: number; std: number }[];
  /** Present when trained with seeds > 1. */
  seeds: SeedReport | null;
  /** The decision policy's fit on the validation split (the policy itself is in the manifest). */
  policyFit: PolicyFitSummary;
  /** Accuracy by confidence on the test split (also in the manifest). */
  confidenceBands: ConfidenceBands;
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
  seeds: z.number().int().min(1).default(1),
  classWeight: z.enum(CLASS_WEIGHT_CHOICES).default('none'),
});

export { AUTO_TIE_TOLERANCE } from './selection.ts';

const positiveNumber = (meta: Record<string, string>, key: string): number | undefined => {
  const v = meta[key] === undefined ? Number.NaN : Number(meta[key]);
  return v > 0 ? v : undefined;
};

/** The triple-barrier rule a dataset's labels were built with (its metadata, research/dataset.ts), else null. */
function tripleBarrierOf(meta: Record<string, string>): { up: number; down: number; bars: number; volBars: number } | null {
  if (meta['labelRule'] !== 'triple-barrier') return null;
  const num = (k: string): number => Number(meta[k]);
  return { up: num('barrierUp'), down: num('barrierDown'), bars: num('horizonBars'), volBars: num('barrierVolBars') };
}

/**
 * Dataset CSV -> trained model in outDir (the family's parameter files and manifest.json).
 * Families fit on the train rows and select on the validation rows; `auto` fits every family and
 * keeps the lowest validation log loss (ties to the simpler, SIMPLICITY_ORDER); a calibrator is
 * fitted on the validation rows. Metrics are computed through the same float64 path the live
 * predictor uses, and checked against a fresh loadPredictor of the saved files.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const opts = optionsSchema.parse(options);
  const dropped = await mostlyEmptyColumns(opts.datasetPath);
  const ds = await readDataset(opts.datasetPath, { exclude: dropped });
  const horizonBars = positiveNumber(ds.meta, 'horizonBars') ?? DEFAULT_LABEL_CONFIG.horizonBars;
  const barIntervalMs = opts.barIntervalMs ?? datasetBarIntervalMs(ds.meta);
  const horizonMs = options.split?.horizonMs ?? horizonBars * barIntervalMs;
  const flatBand = ds.meta['flatBand'] === undefined ? null : Number(ds.meta['flatBand']);
  const barrier = tripleBarrierOf(ds.meta);
  if (barrier !== null && options.label?.kind === 'percentile') {
    throw new ModelError('LABEL_INVALID', `${opts.datasetPath} has triple-barrier labels (its fwdReturn is the return at the barrier touched); --label percentile relabels by |fwdReturn| over the horizon: train it with --label band (its own labels)`);
  }
  if (barrier !== null && ds.labelEnd === undefined) throw new ModelError('DATASET_INVALID', `${opts.datasetPath}: its metadata says triple-barrier labels but it has no labelEnd column`);
  // Triple barrier: each row is purged on its own label end (first touch or time limit), not barEnd + horizon.
  const labelEnd = ds.labelEnd === undefined ? {} : { labelEnd: ds.labelEnd };
  const fullSplit = chronologicalSplit(ds.barEnd, {
    fractions: options.split?.fractions ?? DEFAULT_SPLIT.fractions,
    horizonMs,
    embargoMs: options.split?.embargoMs ?? horizonMs,
    ...labelEnd,
  });
  // The sequence family scores windows of each symbol's last rows (model/sequence.ts): `X` holds
  // them (window x dim values per row); rows without a full window leave every split (the split's
  // bounds and the test rows of the other families stay as they are, except at a symbol's start).
  const sequenceConfig: SequenceConfig = { ...DEFAULT_SEQUENCE, ...options.sequence };
  const windows = opts.family === 'sequence' ? buildWindows(ds.features, ds.dim, ds.symbolIndex, sequenceConfig.window) : null;
  const split =
    windows === null
      ? fullSplit
      : { ...fullSplit, train: withFullWindow(fullSplit.train, windows.full), validation: withFullWindow(fullSplit.validation, windows.full), test: withFullWindow(fullSplit.test, windows.full) };
  const X = windows === null ? ds.features : windows.features;
  const xDim = windows === null ? ds.dim : windows.dim;
  const xNames = windows === null ? ds.featureNames : windowFeatureNames(ds.featureNames, sequenceConfig.window);
  // Labels: the dataset's own, or the FLAT band refitted on the train split (model/label-rule.ts).
  const percentileP = options.label?.kind === 'percentile' ? options.label.p : null;
  const fittedBand = percentileP === null ? null : percentileBand(ds.fwdReturn, split.train, percentileP);
  const labels = fittedBand === null ? ds.labels : labelsForBand(ds.fwdReturn, fittedBand);
  const standardization = fitStandardization(ds.features, ds.dim, split.train);
  const input: FitInput = {
    features: X,
    dim: xDim,
    labels: labels,
    train: split.train,
    validation: split.validation,
    standardization,
    seed: opts.seed,
  };
  const yTrain = Uint8Array.from(split.train, (r) => labels[r] as number);
  const yVal = Uint8Array.from(split.validation, (r) => labels[r] as number);
  const yTest = Uint8Array.from(split.test, (r) => labels[r] as number);

  // The same options for every family fitted here and for the refits of cross-validation.
  const familyOptions = {
    backend: opts.backend,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    patience: opts.patience,
    ...(opts.classWeight === 'none' ? {} : { classWeight: opts.classWeight }),
    ...(options.mlp ? { mlp: options.mlp } : {}),
    ...(options.logistic ? { logistic: options.logistic } : {}),
    ...(options.gbdt ? { gbdt: options.gbdt } : {}),
    ...(options.sequence ? { sequence: options.sequence } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const data = { features: ds.features, dim: ds.dim, labels: labels, barEnd: ds.barEnd, ...labelEnd };
  const stackOptions = { ...familyOptions, horizonMs: split.summary.horizonMs, embargoMs: split.summary.embargoMs, folds: options.selectionFolds ?? DEFAULT_STACK_FOLDS };
  const fitted: Candidate[] = [];
  /** Members 1..N-1 of a seed average (member 0 is the chosen fit). */
  const seedMembers: Candidate[] = [];
  try {
    // auto and stack: out-of-fold predictions of every base family on train + validation.
    let candidates: CandidateReport[] = [];
    let selection: TrainResult['selection'] = null;
    let family: Family = opts.family === 'auto' ? 'logistic' : opts.family;
    let cv: { oof: Awaited<ReturnType<typeof outOfFold>>; stackProbs: Float64Array; trainVal: Uint32Array } | null = null;
    if (opts.family === 'auto' || opts.family === 'stack') {
      const trainVal = new Uint32Array(split.train.length + split.validation.length);
      trainVal.set(split.train);
      trainVal.set(split.validation, split.train.length);
      const oof = await outOfFold(data, trainVal, baseFits(stackOptions), {
        folds: stackOptions.folds,
        horizonMs: stackOptions.horizonMs,
        embargoMs: stackOptions.embargoMs,
        seed: opts.seed,
        ...(options.onSelectionFold ? { onFold: options.onSelectionFold } : {}),
        // The MLP's fits are the slowest (tfjs), then the GBDT's: handed out first.
        ...(options.foldWorker ? { helper: options.foldWorker.helperFor(stackOptions), slowestFirst: SLOWEST_FIRST } : {}),
      });
      const stackProbs = metaOutOfFold(oof);
      cv = { oof, stackProbs, trainVal };
      const sel: SelectionCandidate[] = [...BASE_FAMILIES.map((f, b) => ({ f, p: oof.probs[b] as Float64Array })), { f: 'stack' as const, p: stackProbs }].map(({ f, p }) => {
        const l = foldLogLosses(p, oof.labels, oof.folds);
        return { family: f, cvLogLoss: l.pooled, perFold: l.perFold };
      });
      const nt = split.train.length;
      candidates = sel.map((c, i) => ({
        family: c.family,
        validationLogLoss: meanLogLoss((i < BASE_FAMILIES.length ? (oof.probs[i] as Float64Array) : stackProbs).subarray(nt * 3), yVal),
        cvLogLoss: c.cvLogLoss,
        cvLogLossPerFold: c.perFold,
      }));
      if (opts.family === 'auto') {
        const chosenBy = chooseFamily(sel);
        selection = { ...chosenBy, folds: oof.folds.length, criterion: 'purged-cv-log-loss' };
        family = chosenBy.family;
      }
    }
    options.onFamily?.(family);
    if (family === 'stack') {
      const c = cv as NonNullable<typeof cv>;
      const { params, summary } = await fitStack(data, c.trainVal, c.oof, opts.seed, stackOptions);
      const { json, write } = paramsWriter(params);
      const validationProbs = c.stackProbs.slice(split.train.length * 3);
      fitted.push({
        family: 'stack',
        model: new StackModel(json as typeof params),
        validationLogLoss: meanLogLoss(validationProbs, yVal),
        validationProbs,
        fields: { hyperparameters: { folds: c.oof.folds.length, metaL2: META_L2 }, fitSummary: summary },
        iterationsRun: 0,
        bestIteration: 0,
        params: json,
        write,
        dispose: () => undefined,
      });
    } else {
      fitted.push(await fitFamily(family, input, { ...familyOptions, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }));
    }
    let chosen = fitted[0] as Candidate;
    if (candidates.length === 0) candidates.push({ family: chosen.family, validationLogLoss: chosen.validationLogLoss });
    let seedReport: SeedReport | null = null;
    if (opts.seeds > 1) {
      // The stack refits its bases per fold: a seed average of stacks is not offered (yet).
      if (chosen.family === 'stack') throw new ModelError('TRAINING_FAILED', '--seeds > 1 is not available for the stack family; train a base family (logistic, gbdt, mlp) with --seeds, or the stack with one seed');
      const members = [chosen];
      for (let i = 1; i < opts.seeds; i++) {
        options.onFamily?.(chosen.family);
        const m = await fitFamily(chosen.family, { ...input, seed: opts.seed + i }, familyOptions);
        seedMembers.push(m);
        members.push(m);
      }
      const seeds = members.map((_, i) => opts.seed + i);
      const each = members.map((m, i) => {
        const mm = computeMetrics(scoreRows(m.model, X, split.test), yTest);
        return { seed: seeds[i] as number, auc: mm.macroAuc, logLoss: mm.logLoss, accuracy: mm.accuracy };
      });
      seedReport = {
        n: members.length,
        seeds,
        auc: spread(each.map((e) => e.auc ?? Number.NaN)),
        logLoss: spread(each.map((e) => e.logLoss)),
        accuracy: spread(each.map((e) => e.accuracy)),
        members: each,
      };
      chosen = seedAverageCandidate(members, input);
    }

    // D108: the chosen family's out-of-fold predictions of train + validation, when `auto` or
    // `stack` computed them (and one seed: the folds were fitted with that seed alone).
    const outOfFoldProbs =
      cv === null || opts.seeds > 1 || options.calibrateOn !== 'out-of-fold' ? null : chosen.family === 'stack' ? cv.stackProbs : (cv.oof.probs[BASE_FAMILIES.indexOf(chosen.family as (typeof BASE_FAMILIES)[number])] ?? null);
    const calOnValidation = opts.calibrate ? fitCalibration(chosen.validationProbs, yVal) : null;
    const cal =
      opts.calibrate && outOfFoldProbs !== null && cv !== null
        ? fitCalibrationOutOfFold(
            outOfFoldProbs,
            cv.oof.labels,
            cv.oof.folds.map((f) => f.test),
          )
        : calOnValidation;
    const calibration = cal === null ? undefined : { ...cal.params, ...withoutMethod(cal.report) };
    const scoring = new ModelPredictor(placeholderManifest(calibration), chosen.model);
    const score = (rows: Uint32Array): Float64Array => {
      const out = new Float64Array(rows.length * 3);
      for (let r = 0; r < rows.length; r++) {
        const base = (rows[r] as number) * xDim;
        out.set(scoring.predict(X.subarray(base, base + xDim)), r * 3);
      }
      return out;
    };
    // Forward-return heads: one regressor on the same standardized features, for every family.
    const headsConfig: HeadsConfig = { ...DEFAULT_HEADS, ...options.heads };
    const headsFit = fitHeads(ds.features, ds.dim, ds.fwdReturn, split.train, standardization, headsConfig);
    // As they will be read back from the manifest's JSON.
    const headsParams = JSON.parse(JSON.stringify(headsFit.params)) as HeadsParams;
    const headsModel = new HeadsModel(headsParams, standardization);
    const headsReport = evaluateHeads(headsModel, ds.features, ds.dim, ds.fwdReturn, split.train, split.test);
    // Sequence: each lagged value (`name@t-k`) is permuted on its own.
    const importance = permutationImportance((row) => scoring.predict(row), X, xDim, labels, split.validation, xNames, {
      seed: opts.seed,
      ...TRAIN_IMPORTANCE,
      ...options.importance,
    });
    const testProbs = score(split.test);
    const metrics = computeMetrics(testProbs, yTest);
    const uncalibratedTestProbs = scoreRows(chosen.model, X, split.test);
    const uncalibratedMetrics = computeMetrics(uncalibratedTestProbs, yTest);
    const onValidation = cal !== calOnValidation && calOnValidation !== null ? computeMetrics(calibrateAll(calOnValidation.params, uncalibratedTestProbs), yTest) : null;
    const baseline = baselineMetrics(yTrain, yTest);
    const confidenceBands = accuracyByConfidence(testProbs, yTest, argmax(classFrequencies(yTrain)));
    // The stack's bases are refitted on the validation rows: its validation figures are its out-of-fold ones.
    const validationProbs =
      chosen.family === 'stack' && calibration !== undefined
        ? applyCalibrationRows(calibration, chosen.validationProbs)
        : chosen.family === 'stack'
          ? chosen.validationProbs
          : score(split.validation);
    const validation = { metrics: computeMetrics(validationProbs, yVal), baseline: baselineMetrics(yTrain, yVal) };
    // The policy is fitted on the expected-return head (moveSource 'head') unless told otherwise.
    const validationMoves = (options.policyMove ?? 'head') === 'head' ? Float64Array.from(split.validation, (r) => headsModel.predict(ds.features.subarray(r * ds.dim, r * ds.dim + ds.dim)).expectedReturn) : null;
    const policyFit = fitPolicy({ probs: validationProbs, fwdReturn: Float64Array.from(split.validation, (r) => ds.fwdReturn[r] as number), labels: yVal, expectedReturn: validationMoves }, horizonBars, barIntervalMs, options.policy);
    const evaluation = await evaluateModel({
      data: { features: ds.features, dim: ds.dim, labels: labels, barEnd: ds.barEnd, ...labelEnd },
      featureNames: ds.featureNames,
      trainRows: split.train,
      holdoutRows: split.test,
      holdoutProbs: testProbs,
      horizonMs: split.summary.horizonMs,
      embargoMs: split.summary.embargoMs,
      holdoutFraction: split.summary.fractions.test,
      seed: opts.seed,
      // The sequence family is not cross-validated: its folds would need windows, and five more
      // network fits (D57); its holdout figures and intervals are as for every family.
      cv:
        (options.cvFolds ?? 0) === 0 || chosen.family === 'sequence'
          ? null
          : {
              // The chosen family, refitted per fold (options as for the final fit).
              fit: chosen.family === 'stack' ? stackFit({ ...stackOptions, folds: 3 }) : familyFit(chosen.family, { ...familyOptions, horizonMs: split.summary.horizonMs }),
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
      ...(seedReport === null ? {} : { seedAverage: { seeds: seedReport.seeds } }),
      ...(calibration === undefined ? {} : { calibration }),
      datasetSha256: ds.sha256,
      seed: opts.seed,
      labelConfig: { horizonBars, flatBand: fittedBand ?? (Number.isFinite(flatBand) ? flatBand : null), barIntervalMs },
      ...(barrier === null ? {} : { tripleBarrier: barrier }),
      ...(percentileP === null || fittedBand === null ? {} : { labelRule: { kind: 'percentile' as const, p: percentileP, of: 'abs-fwdReturn' as const, fittedOn: 'train' as const, flatBand: fittedBand, datasetFlatBand: Number.isFinite(flatBand) ? flatBand : null } }),
      ...(opts.classWeight === 'none' ? {} : { classWeight: { method: opts.classWeight, trainWeights: balancedClassWeights(labels, split.train) } }),
      split: split.summary,
      metrics,
      baseline,
      validation,
      createdFrom: { rows: ds.rows, skipped: ds.skipped, datasetMeta: ds.meta },
      heads: {
        method: 'linear',
        target: 'fwdReturn',
        quantiles: [...QUANTILES],
        config: headsConfig,
        params: headsParams,
        fitSummary: { trainRows: split.train.length, iterations: headsFit.iterations, converged: headsFit.converged },
        test: headsReport,
      },
      ...(ATTRIBUTION_OF[chosen.family] !== undefined ? { contributions: { method: ATTRIBUTION_OF[chosen.family]!, space: 'centered-logit' as const, top: CONTRIBUTIONS_TOP } } : {}),
      importance: { method: 'permutation', split: 'validation', metric: 'logLoss', ...importance },
      evaluation,
      policy: policyFit.policy,
      confidenceBands,
    });
    await verifySaved(opts.outDir, ds, X, xDim, split.test, testProbs, headsModel);
    const s = split.summary;
    return {
      modelId: manifest.modelId,
      family: chosen.family,
      metrics,
      uncalibratedMetrics,
      baseline,
      validation,
      calibration: cal === null ? null : cal.report,
      calibrationOnValidation:
        onValidation === null || calOnValidation === null ? null : { method: calOnValidation.report.method, testEce: onValidation.ece, testLogLoss: onValidation.logLoss, testBrier: onValidation.brier, testAuc: onValidation.macroAuc },
      candidates,
      selection,
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
      heads: headsReport,
      importance: importance.features.slice(0, IMPORTANCE_TOP),
      seeds: seedReport,
      policyFit: policyFit.summary,
      confidenceBands,
    };
  } finally {
    for (const c of [...fitted, ...seedMembers]) c.dispose();
  }
}

function applyCalibrationRows(c: NonNullable<ModelManifest['calibration']>, probs: Float64Array): Float64Array {
  const out = Float64Array.from(probs);
  for (let i = 0; i < out.length; i += 3) applyCalibration(c, out.subarray(i, i + 3));
  return out;
}

/**
 * N fitted members of one family as one candidate: probabilities averaged (SeedAverage), member i
 * written to seed-<i>/, the modelId hashing their parameter bytes in order. Member 0's manifest
 * fields (architecture, hyper-parameters, its fit summary) describe the family.
 */
function seedAverageCandidate(members: Candidate[], input: FitInput): Candidate {
  const first = members[0] as Candidate;
  const model = new SeedAverage(members.map((m) => m.model));
  const validationProbs = scoreRows(model, input.features, input.validation);
  return {
    ...first,
    model,
    validationProbs,
    validationLogLoss: meanLogLoss(validationProbs, Uint8Array.from(input.validation, (r) => input.labels[r] as number)),
    write: async (dir) => {
      const parts: Uint8Array[] = [];
      for (const [i, m] of members.entries()) {
        const sub = join(dir, seedDir(i));
        await mkdir(sub, { recursive: true });
        parts.push(await m.write(sub));
      }
      return concatBytes(parts);
    },
    // The members are disposed by train's own list.
    dispose: () => undefined,
  };
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
async function verifySaved(dir: string, ds: Dataset, x: Float64Array, xDim: number, rows: Uint32Array, expected: Float64Array, heads: HeadsModel): Promise<void> {
  const predictor = await loadPredictor(dir);
  const n = Math.min(rows.length, 2000);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    const row = ds.features.subarray(r * ds.dim, (r + 1) * ds.dim);
    const saved = predictor.heads(row);
    const fresh = heads.predict(row);
    if (saved === null || !(['expectedReturn', 'q10', 'q50', 'q90'] as const).every((k) => Object.is(saved[k], fresh[k]))) {
      throw new ModelError('SAVED_MODEL_DIFFERS', `saved model ${predictor.modelId} in ${dir} does not reproduce the in-memory forward-return heads (row ${r})`);
    }
    const p = predictor.predict(x.subarray(r * xDim, (r + 1) * xDim));
    for (let c = 0; c < 3; c++) {
      if (!Object.is(p[c], expected[i * 3 + c])) {
        throw new ModelError('SAVED_MODEL_DIFFERS', `saved model ${predictor.modelId} in ${dir} does not reproduce the in-memory predictions (row ${r})`);
      }
    }
  }
}
