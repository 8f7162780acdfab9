import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { readDataset } from '../../../model/dataset.ts';
import { DenseStack } from '../../../model/dense-stack.ts';
import { ModelError } from '../../../model/errors.ts';
import { fileIoHandler } from '../../../model/file-io-handler.ts';
import { readManifest } from '../../../model/manifest.ts';
import { checkFeatureSet, FeatureSetMismatch, loadPredictor } from '../../../model/predictor.ts';
import { standardizeRows } from '../../../model/standardization.ts';
import { train, type TrainResult } from '../../../model/train.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

const isCode = (code: string) => (e: unknown) => e instanceof ModelError && e.code === code;

const datasetPath = writeSyntheticDataset({ bars: 600, kind: 'linear', seed: 3, dim: 5, meta: '# featureSetHash=fs-v1 horizonBars=6' });
const modelDir = tempDir();
let trained: TrainResult;

before(async () => {
  trained = await train({ datasetPath, outDir: modelDir, seed: 9, epochs: 15 });
});

describe('loadPredictor', () => {
  test('the float64 predictor agrees with tfjs model.predict within 1e-5', async () => {
    const predictor = await loadPredictor(modelDir);
    const ds = await readDataset(datasetPath);
    const rows = Uint32Array.from({ length: ds.rows }, (_, i) => i);
    const x = standardizeRows(ds.features, ds.dim, rows, predictor.manifest.standardization);
    const model = await tf.loadLayersModel(fileIoHandler(modelDir));
    const out = model.predict(tf.tensor2d(x, [ds.rows, ds.dim])) as tf.Tensor;
    const expected = out.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < ds.rows; i++) {
      // The family's own probabilities (the calibrator, fitted afterwards, is not part of tfjs's model).
      const p = predictor.model.score(ds.features.subarray(i * ds.dim, (i + 1) * ds.dim));
      assert.ok(Math.abs((p[0] as number) + (p[1] as number) + (p[2] as number) - 1) < 1e-12);
      for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs((p[c] as number) - (expected[i * 3 + c] as number)));
    }
    assert.ok(maxDiff < 1e-5, `max |float64 - tfjs| = ${maxDiff}`);
    assert.ok(maxDiff > 0, 'tfjs computes in float32, so some difference is expected');
    model.dispose();
  });

  test('exposes the manifest identity and refuses rows of the wrong width', async () => {
    const predictor = await loadPredictor(modelDir);
    assert.equal(predictor.modelId, trained.modelId);
    assert.equal(predictor.featureSetHash, 'fs-v1');
    assert.deepEqual(predictor.featureNames, ['f0', 'f1', 'f2', 'f3', 'f4']);
    assert.throws(() => predictor.predict(new Float64Array(4)), isCode('INPUT_SHAPE'));
  });

  test('checkFeatureSet (the kernel\'s one check, re-exported) refuses features the model was not trained on', async () => {
    const predictor = await loadPredictor(modelDir);
    checkFeatureSet(predictor, 'fs-v1');
    assert.throws(
      () => checkFeatureSet(predictor, 'fs-v2'),
      (e: unknown) => e instanceof FeatureSetMismatch && e.code === 'FEATURE_SET_MISMATCH' && /fs-v1/.test((e as Error).message) && /fs-v2/.test((e as Error).message),
    );
  });
});

describe('manifest', () => {
  test('round-trips through manifest.json, without timestamps or paths', async () => {
    assert.deepEqual(await readManifest(modelDir), trained.manifest);
    const text = readFileSync(join(modelDir, 'manifest.json'), 'utf8');
    assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT\d\d:/);
    assert.ok(!text.includes(modelDir));
    assert.equal(trained.manifest.featureSetHashSource, 'dataset');
    assert.equal(trained.manifest.datasetSha256.length, 64);
  });

  test('an edited manifest or weights file no longer matches its model id', async () => {
    const edited = tempDir();
    cpSync(modelDir, edited, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(edited, 'manifest.json'), 'utf8'));
    manifest.standardization.mean[0] += 1;
    writeFileSync(join(edited, 'manifest.json'), JSON.stringify(manifest));
    await assert.rejects(loadPredictor(edited), isCode('MODEL_ID_MISMATCH'));

    const flipped = tempDir();
    cpSync(modelDir, flipped, { recursive: true });
    const weights = readFileSync(join(flipped, 'weights.bin'));
    weights[0] = (weights[0] as number) ^ 1;
    writeFileSync(join(flipped, 'weights.bin'), weights);
    await assert.rejects(loadPredictor(flipped), isCode('MODEL_ID_MISMATCH'));

    delete manifest.seed;
    writeFileSync(join(edited, 'manifest.json'), JSON.stringify(manifest));
    await assert.rejects(loadPredictor(edited), (e: unknown) => isCode('MANIFEST_INVALID')(e) && /seed/.test((e as Error).message));
  });
});

describe('DenseStack', () => {
  test('matches tfjs for every supported activation', () => {
    const activations = ['tanh', 'sigmoid', 'linear', 'relu', 'softmax'] as const;
    const model = tf.sequential();
    activations.forEach((activation, i) =>
      model.add(
        tf.layers.dense({
          units: 4,
          activation,
          kernelInitializer: tf.initializers.randomNormal({ stddev: 1, seed: 100 + i }),
          biasInitializer: tf.initializers.randomNormal({ stddev: 0.5, seed: 200 + i }),
          ...(i === 0 ? { inputShape: [3] } : {}),
        }),
      ),
    );
    const stack = DenseStack.fromLayersModel(model);
    assert.deepEqual(
      stack.architecture().map((l) => l.activation),
      [...activations],
    );
    const inputs = Float32Array.from({ length: 20 * 3 }, (_, i) => Math.sin(i * 1.7) * 2);
    const expected = (model.predict(tf.tensor2d(inputs, [20, 3])) as tf.Tensor).dataSync();
    for (let r = 0; r < 20; r++) {
      const y = stack.forward(Float64Array.from(inputs.subarray(r * 3, r * 3 + 3)));
      for (let c = 0; c < 4; c++) assert.ok(Math.abs((y[c] as number) - (expected[r * 4 + c] as number)) < 1e-5);
    }
    model.dispose();
  });

  test('refuses other activations and other layer types', () => {
    const elu = tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'elu', inputShape: [2] })] });
    assert.throws(() => DenseStack.fromLayersModel(elu), (e: unknown) => isCode('UNSUPPORTED_LAYER')(e) && /elu/.test((e as Error).message));
    const dropout = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] }), tf.layers.dropout({ rate: 0.5 })] });
    assert.throws(() => DenseStack.fromLayersModel(dropout), (e: unknown) => isCode('UNSUPPORTED_LAYER')(e) && /Dropout/.test((e as Error).message));
  });
});
