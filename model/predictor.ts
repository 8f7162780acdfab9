import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CLASSES, type Predictor } from '../processors/types.ts';
import { useBackend } from './backend.ts';
import { DenseStack } from './dense-stack.ts';
import { ModelError } from './errors.ts';
import { fileIoHandler, WEIGHTS_BIN } from './file-io-handler.ts';
import { computeModelId, readManifest, type ModelManifest } from './manifest.ts';
import { RowScorer } from './row-scorer.ts';

/**
 * DECISION (taken by the lead): predict(row) does not call tfjs. The model is loaded through
 * tfjs (tf.loadLayersModel), then its Dense stack (kernel, bias, activation from getWeights() and
 * getConfig()) is evaluated in float64 JavaScript after standardizing with the manifest's
 * mean/std. So predictions are bit-identical on every backend, in live and in replay, and take
 * microseconds (tfjs on wasm measured ~22 ms for one row here). A test checks agreement with
 * tfjs model.predict within 1e-5 (tfjs computes in float32).
 */
export class MlpPredictor implements Predictor {
  readonly modelId: string;
  readonly featureSetHash: string;
  readonly featureNames: readonly string[];

  constructor(
    readonly manifest: ModelManifest,
    private readonly scorer: RowScorer,
  ) {
    this.modelId = manifest.modelId;
    this.featureSetHash = manifest.featureSetHash;
    this.featureNames = Object.freeze([...manifest.featureNames]);
  }

  /** Raw (unstandardized) features in featureNames order; NaN in gives NaN out. */
  predict(row: Float64Array): [number, number, number] {
    const p = this.scorer.score(row);
    return [p[0] as number, p[1] as number, p[2] as number];
  }
}

/**
 * Loads model.json + weights.bin through tfjs and manifest.json, and checks that they belong
 * together: the modelId recomputed from the manifest and the weights bytes, the layer
 * architecture, and the feature count.
 */
export async function loadPredictor(modelDir: string): Promise<MlpPredictor> {
  const manifest = await readManifest(modelDir);
  const weights = new Uint8Array(await readFile(join(modelDir, WEIGHTS_BIN)));
  const id = computeModelId(manifest, weights);
  if (id !== manifest.modelId) {
    throw new ModelError(
      'MODEL_ID_MISMATCH',
      `${modelDir}: manifest says model ${manifest.modelId} but its fields and ${WEIGHTS_BIN} hash to ${id} (edited or mixed-up files)`,
    );
  }
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
  if (arch !== JSON.stringify(manifest.architecture.layers)) {
    throw new ModelError('MANIFEST_INVALID', `${modelDir}: model.json layers ${arch} differ from the manifest's architecture`);
  }
  if (stack.outputDim !== CLASSES.length || stack.inputDim !== manifest.featureNames.length) {
    throw new ModelError(
      'MANIFEST_INVALID',
      `${modelDir}: model maps ${stack.inputDim} -> ${stack.outputDim}, manifest has ${manifest.featureNames.length} features and ${CLASSES.length} classes`,
    );
  }
  return new MlpPredictor(manifest, new RowScorer(stack, manifest.standardization));
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
