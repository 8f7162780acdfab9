import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../processors/math/rng.ts';
import { useBackend, type BackendName } from './backend.ts';
import { DenseStack } from './dense-stack.ts';
import { PARAMS_JSON, scoreRows, type Family, type FitInput, type RowModel, type SingleFamily } from './family.ts';
import { fileIoHandler, WEIGHTS_BIN, writeFileAtomic } from './file-io-handler.ts';
import { fitWithEarlyStopping, type TrainProgress, type XY } from './fit.ts';
import { DEFAULT_GBDT, fitGbdt, type GbdtConfig } from './gbdt.ts';
import { GbdtModel, type GbdtParams } from './gbdt-model.ts';
import { DEFAULT_LOGISTIC, fitLogistic, logisticModel, type LogisticConfig, type LogisticParams } from './logistic.ts';
import { canonicalJson } from '../lib/canonical-json.ts';
import type { ModelManifest } from './manifest.ts';
import { meanLogLoss } from './metrics.ts';
import { buildMlp, DEFAULT_MLP, type MlpConfig } from './mlp.ts';
import { RowScorer } from './row-scorer.ts';
import { DEFAULT_SEQUENCE, SequenceModel, type SequenceConfig, type SequenceParams } from './sequence.ts';
import { buildSequenceNet, sequenceParams } from './sequence-net.ts';
import { standardizeRows } from './standardization.ts';
import { classWeightsFor, type ClassWeightChoice } from './class-weights.ts';
import type { Logger } from '../lib/log.ts';

/** Manifest fields that depend on the family. */
export type FamilyFields = Pick<ModelManifest, 'architecture' | 'training' | 'hyperparameters' | 'fitSummary' | 'backend'>;

/** A fitted family, in memory, before anything is written. */
export interface Candidate {
  family: Family;
  model: RowModel;
  /** Log loss of the uncalibrated probabilities on the validation rows. */
  validationLogLoss: number;
  /** Validation probabilities, rows in validation order. */
  validationProbs: Float64Array;
  fields: FamilyFields;
  /** Epochs (MLP), L-BFGS iterations (logistic) or boosting rounds (GBDT) run, and the one kept. */
  iterationsRun: number;
  bestIteration: number;
  /** The parameters as saved (JSON-safe): what the stacking ensemble embeds for its bases. */
  params: unknown;
  /** Writes the family's parameter files into dir; returns the bytes the modelId hashes. */
  write: (dir: string) => Promise<Uint8Array>;
  dispose: () => void;
}

export interface FamilyOptions {
  mlp?: Partial<MlpConfig>;
  logistic?: Partial<LogisticConfig>;
  gbdt?: Partial<GbdtConfig>;
  sequence?: Partial<SequenceConfig>;
  /** Class weights computed from each fit's own train rows (model/class-weights.ts); default none. */
  classWeight?: ClassWeightChoice;
  /** MLP and sequence only. */
  backend: BackendName;
  epochs: number;
  batchSize: number;
  patience: number;
  onProgress?: (p: TrainProgress) => void;
  /** Where a backend fallback is reported (lib/log.ts). */
  logger?: Logger;
}

function validationOf(input: FitInput, model: RowModel): { probs: Float64Array; logLoss: number } {
  const probs = scoreRows(model, input.features, input.validation);
  return { probs, logLoss: meanLogLoss(probs, Uint8Array.from(input.validation, (r) => input.labels[r] as number)) };
}

/** Parameters as they will be read back: through canonical JSON (so -0 and friends match exactly). */
export function paramsWriter(params: unknown): { json: unknown; write: (dir: string) => Promise<Uint8Array> } {
  const text = canonicalJson(params);
  return {
    json: JSON.parse(text),
    write: async (dir) => {
      const bytes = new TextEncoder().encode(text);
      await writeFileAtomic(join(dir, PARAMS_JSON), bytes);
      return bytes;
    },
  };
}

export async function fitFamily(family: SingleFamily, given: FitInput, options: FamilyOptions): Promise<Candidate> {
  // Weights from the train rows of this fit only; none leaves the input (and the fit) as it was.
  const input: FitInput = options.classWeight === 'balanced' ? { ...given, classWeights: classWeightsFor(options.classWeight, given.labels, given.train) } : given;
  if (family === 'logistic') {
    const config = { ...DEFAULT_LOGISTIC, ...options.logistic };
    const fit = fitLogistic(input, config);
    const { json, write } = paramsWriter(fit.params);
    const model = logisticModel(json as LogisticParams, input.standardization);
    const v = validationOf(input, model);
    return {
      family,
      model,
      validationLogLoss: v.logLoss,
      validationProbs: v.probs,
      fields: { hyperparameters: { l2: fit.l2, maxIterations: config.maxIterations }, fitSummary: { iterations: fit.iterations, converged: fit.converged, candidates: config.l2Grid.length } },
      iterationsRun: fit.iterations,
      bestIteration: fit.iterations,
      params: json,
      write,
      dispose: () => undefined,
    };
  }
  if (family === 'gbdt') {
    const config: GbdtConfig = { ...DEFAULT_GBDT, ...options.gbdt };
    const fit = fitGbdt(input, config);
    const { json, write } = paramsWriter(fit.params);
    const model = new GbdtModel(json as GbdtParams);
    const v = validationOf(input, model);
    return {
      family,
      model,
      validationLogLoss: v.logLoss,
      validationProbs: v.probs,
      fields: { hyperparameters: { ...config }, fitSummary: { roundsRun: fit.roundsRun, bestRound: fit.bestRound } },
      iterationsRun: fit.roundsRun,
      bestIteration: fit.bestRound,
      params: json,
      write,
      dispose: () => undefined,
    };
  }
  if (family === 'sequence') return fitSequenceFamily(input, options);
  return fitMlpFamily(input, options);
}

/**
 * The sequence family (model/sequence.ts). `input.features` are windows (buildWindows: window x
 * the dataset's dim per row); `input.standardization` is per feature (dim values, fitted on the
 * train rows) or per window value (window x dim, as cross-validation fits it), of which the last
 * step's, that of the rows themselves, is used. Trained with tfjs as the MLP is (seeded
 * initializers, our own seeded shuffle, early stopping on validation log loss), scored in float64.
 */
async function fitSequenceFamily(input: FitInput, options: FamilyOptions): Promise<Candidate> {
  const config: SequenceConfig = { ...DEFAULT_SEQUENCE, ...options.sequence };
  const backend = await useBackend(options.backend, options.logger);
  const dim = input.dim / config.window;
  if (!Number.isInteger(dim)) throw new Error(`sequence fit: ${input.dim} values per row is not ${config.window} steps`);
  const s = input.standardization;
  const from = s.mean.length === dim ? 0 : s.mean.length - dim;
  const step = { mean: s.mean.slice(from), std: s.std.slice(from) };
  const tiled = { mean: Array.from({ length: input.dim }, (_, i) => step.mean[i % dim] as number), std: Array.from({ length: input.dim }, (_, i) => step.std[i % dim] as number) };
  const xy = (rows: Uint32Array): XY => ({ x: standardizeRows(input.features, input.dim, rows, tiled), y: Uint8Array.from(rows, (r) => input.labels[r] as number), dim: input.dim });
  const rng = new Rng(input.seed);
  const net = buildSequenceNet(dim, rng.nextUint32(), config);
  try {
    const fit = await fitWithEarlyStopping(net, xy(input.train), xy(input.validation), {
      epochs: options.epochs,
      batchSize: options.batchSize,
      patience: options.patience,
      minDelta: 1e-4,
      rng: rng.fork(),
      classWeights: input.classWeights ?? null,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const { json, write } = paramsWriter(sequenceParams(net, config.window, dim, step));
    const model = new SequenceModel(json as SequenceParams);
    const v = validationOf(input, model);
    return {
      family: 'sequence',
      model,
      validationLogLoss: v.logLoss,
      validationProbs: v.probs,
      fields: {
        backend,
        hyperparameters: { window: config.window, filters: config.filters, l2: config.l2, learningRate: config.learningRate, batchSize: options.batchSize, patience: options.patience, epochs: options.epochs },
        fitSummary: { epochsRun: fit.epochsRun, bestEpoch: fit.bestEpoch, bestValLoss: fit.bestValLoss },
      },
      iterationsRun: fit.epochsRun,
      bestIteration: fit.bestEpoch,
      params: json,
      write,
      dispose: () => undefined,
    };
  } finally {
    net.dispose();
  }
}

/** The MLP as it was trained before families existed: same seed use, same files. */
async function fitMlpFamily(input: FitInput, options: FamilyOptions): Promise<Candidate> {
  const mlp: MlpConfig = { ...DEFAULT_MLP, ...options.mlp };
  const backend = await useBackend(options.backend, options.logger);
  const { features, dim, labels, standardization } = input;
  const xy = (rows: Uint32Array): XY => ({ x: standardizeRows(features, dim, rows, standardization), y: Uint8Array.from(rows, (r) => labels[r] as number), dim });
  const rng = new Rng(input.seed);
  const model = buildMlp(dim, rng.nextUint32(), mlp);
  try {
    const fit = await fitWithEarlyStopping(model, xy(input.train), xy(input.validation), {
      epochs: options.epochs,
      batchSize: options.batchSize,
      patience: options.patience,
      minDelta: 1e-4,
      rng: rng.fork(),
      classWeights: input.classWeights ?? null,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const scorer = new RowScorer(DenseStack.fromLayersModel(model), standardization);
    const rowModel: RowModel = { inputDim: dim, score: (row) => scorer.score(row) };
    const v = validationOf(input, rowModel);
    return {
      family: 'mlp',
      model: rowModel,
      validationLogLoss: v.logLoss,
      validationProbs: v.probs,
      fields: {
        architecture: { layers: scorer.stack.architecture(), l2: mlp.l2 },
        backend,
        training: {
          epochs: options.epochs,
          epochsRun: fit.epochsRun,
          bestEpoch: fit.bestEpoch,
          bestValLoss: fit.bestValLoss,
          batchSize: options.batchSize,
          learningRate: mlp.learningRate,
          patience: options.patience,
          tfjsVersion: tf.version.tfjs,
        },
      },
      iterationsRun: fit.epochsRun,
      bestIteration: fit.bestEpoch,
      params: { layers: scorer.stack.layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim, activation: l.activation, kernel: Array.from(l.kernel), bias: Array.from(l.bias) })) },
      write: async (dir) => {
        await model.save(fileIoHandler(dir));
        return new Uint8Array(await readFile(join(dir, WEIGHTS_BIN)));
      },
      dispose: () => model.dispose(),
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
