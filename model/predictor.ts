import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DecisionPolicy } from '../processors/decision/policy.ts';
import { CLASSES, type Predictor } from '../processors/types.ts';
import { useBackend } from './backend.ts';
import { applyCalibration } from './calibration.ts';
import { DenseStack } from './dense-stack.ts';
import { ModelError } from './errors.ts';
import { PARAMS_JSON, type RowModel } from './family.ts';
import { fileIoHandler, WEIGHTS_BIN } from './file-io-handler.ts';
import { GbdtModel, type GbdtParams } from './gbdt-model.ts';
import { logisticModel, type LogisticParams } from './logistic.ts';
import { computeModelId, readManifest, type ModelManifest } from './manifest.ts';
import { RowScorer } from './row-scorer.ts';

/**
 * DECISION (taken by the lead, D4): predict(row) does not call tfjs. Every family scores a row in
 * float64 JavaScript from its saved parameters: the MLP is loaded through tfjs
 * (tf.loadLayersModel) and its Dense stack evaluated in float64 after standardizing with the
 * manifest's mean/std; the logistic regression is one softmax Dense layer on the same path; the
 * GBDT walks its trees. The manifest's calibrator, if any, maps the probabilities last. So
 * predictions are bit-identical on every backend, in live and in replay, and take microseconds.
 */
export class ModelPredictor implements Predictor {
  readonly modelId: string;
  readonly featureSetHash: string;
  readonly featureNames: readonly string[];
  readonly policy: DecisionPolicy | undefined;
  private readonly out = new Float64Array(CLASSES.length);

  constructor(
    readonly manifest: ModelManifest,
    readonly model: RowModel,
  ) {
    this.modelId = manifest.modelId;
    this.featureSetHash = manifest.featureSetHash;
    this.featureNames = Object.freeze([...manifest.featureNames]);
    this.policy = manifest.policy;
  }

  /** Raw (unstandardized) features in featureNames order; NaN in gives NaN out. */
  predict(row: Float64Array): [number, number, number] {
    const p = this.out;
    p.set(this.model.score(row));
    const c = this.manifest.calibration;
    if (c !== undefined && c.method !== 'none') applyCalibration(c, p);
    return [p[0] as number, p[1] as number, p[2] as number];
  }
}

/** Kept for callers written when the MLP was the only family. */
export const MlpPredictor = ModelPredictor;
export type MlpPredictor = ModelPredictor;

/**
 * Loads a model directory: manifest.json, and the family's parameter file (model.json +
 * weights.bin for the MLP, params.json otherwise), and checks that they belong together: the
 * modelId recomputed from the manifest and the parameter bytes, the architecture, the feature
 * count. A manifest without `family` is an MLP.
 */
export async function loadPredictor(modelDir: string): Promise<ModelPredictor> {
  const manifest = await readManifest(modelDir);
  const family = manifest.family ?? 'mlp';
  const file = family === 'mlp' ? WEIGHTS_BIN : PARAMS_JSON;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(modelDir, file)));
  } catch (err) {
    throw new ModelError('MANIFEST_INVALID', `${modelDir}: manifest is a ${family} model but ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const id = computeModelId(manifest, bytes);
  if (id !== manifest.modelId) {
    throw new ModelError(
      'MODEL_ID_MISMATCH',
      `${modelDir}: manifest says model ${manifest.modelId} but its fields and ${file} hash to ${id} (edited or mixed-up files)`,
    );
  }
  let model: RowModel;
  if (family === 'mlp') model = await loadMlp(modelDir, manifest);
  else {
    let params: unknown;
    try {
      params = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new ModelError('MANIFEST_INVALID', `${modelDir}/${PARAMS_JSON} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    model = family === 'logistic' ? logisticModel(params as LogisticParams, manifest.standardization) : new GbdtModel(params as GbdtParams);
  }
  if (model.inputDim !== manifest.featureNames.length) {
    throw new ModelError('MANIFEST_INVALID', `${modelDir}: model takes ${model.inputDim} features, manifest has ${manifest.featureNames.length}`);
  }
  return new ModelPredictor(manifest, model);
}

async function loadMlp(modelDir: string, manifest: ModelManifest): Promise<RowModel> {
  // Weights are float32 bytes, decoded identically by every backend; start one only if none is.
  if (!tf.engine().backendName) await useBackend('cpu');
  const model = await tf.loadLayersModel(fileIoHandler(modelDir));
  let stack: DenseStack;
  try {
    stack = DenseStack.fromLayersModel(model);
  } finally {
    model.dispose();
  }
  const arch = JSON.stringify(stack.architecture());
  if (arch !== JSON.stringify(manifest.architecture?.layers)) {
    throw new ModelError('MANIFEST_INVALID', `${modelDir}: model.json layers ${arch} differ from the manifest's architecture`);
  }
  if (stack.outputDim !== CLASSES.length || stack.inputDim !== manifest.featureNames.length) {
    throw new ModelError(
      'MANIFEST_INVALID',
      `${modelDir}: model maps ${stack.inputDim} -> ${stack.outputDim}, manifest has ${manifest.featureNames.length} features and ${CLASSES.length} classes`,
    );
  }
  const scorer = new RowScorer(stack, manifest.standardization);
  return { inputDim: stack.inputDim, score: (row) => scorer.score(row) };
}

/** A model refuses features it was not trained on. */
export function checkFeatureSet(predictor: Predictor, featureSetHash: string): void {
  if (predictor.featureSetHash !== featureSetHash) {
    throw new ModelError(
      'FEATURE_SET_MISMATCH',
      `model ${predictor.modelId} was trained on feature set ${predictor.featureSetHash} but the features offered are ${featureSetHash}; retrain on this feature set or compute the features the model expects`,
    );
  }
}
