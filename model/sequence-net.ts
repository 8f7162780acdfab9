import * as tf from '@tensorflow/tfjs';
import { Rng } from '../processors/math/rng.ts';
import { CLASSES } from '../processors/types.ts';
import { ModelError } from './errors.ts';
import { checkWindow, DEFAULT_SEQUENCE, type ConvParams, type SequenceConfig, type SequenceParams } from './sequence.ts';
import type { Standardization } from './standardization.ts';

// The sequence family's tfjs side (training): kept apart from model/sequence.ts, whose float64
// scoring serves live signals, so that loading a saved model never loads tfjs (`start` imports
// the predictor, not the trainer; test/integration/cli/lazy-imports.test.ts).

/** log2(window) x (pair steps, Dense relu) = Conv1D(k 2, s 2, relu) -> Flatten -> Dense(3, softmax); seeded glorot-uniform kernels, zero biases, Adam. */
export function buildSequenceNet(dim: number, seed: number, config: SequenceConfig = DEFAULT_SEQUENCE): tf.Sequential {
  checkWindow(config.window);
  const rng = new Rng(seed);
  const model = tf.sequential({ name: 'tickflow_sequence' });
  // A convolution of kernel 2 and stride 2 over [len, channels] is a Dense on [len / 2, 2 x channels]
  // (steps 2t and 2t+1 side by side): the same sums and the same kernel layout [2][in][out], built
  // from Reshape and Dense because tfjs's wasm backend has no gradient kernel for conv1d.
  let channels = dim;
  for (let len = config.window, i = 1; len > 1; len /= 2, i++) {
    model.add(tf.layers.reshape({ name: `pairs${i}`, targetShape: [len / 2, 2 * channels], ...(i === 1 ? { inputShape: [config.window * dim] } : {}) }));
    model.add(
      tf.layers.dense({
        name: `conv${i}`,
        units: config.filters,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: rng.nextUint32() }),
        biasInitializer: 'zeros',
        kernelRegularizer: tf.regularizers.l2({ l2: config.l2 }),
      }),
    );
    channels = config.filters;
  }
  model.add(tf.layers.flatten({ name: 'last' }));
  model.add(
    tf.layers.dense({
      name: 'probs',
      units: CLASSES.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: rng.nextUint32() }),
      biasInitializer: 'zeros',
      kernelRegularizer: tf.regularizers.l2({ l2: config.l2 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: 'categoricalCrossentropy' });
  return model;
}

/** The trained network's weights as params (float32 values as doubles). */
export function sequenceParams(model: tf.LayersModel, window: number, dim: number, s: Standardization): SequenceParams {
  const convs: ConvParams[] = [];
  let dense: SequenceParams['dense'] | null = null;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'Reshape' || cls === 'Flatten') continue;
    const [k, b] = layer.getWeights();
    if (cls !== 'Dense' || k === undefined || b === undefined) throw new ModelError('UNSUPPORTED_LAYER', `sequence network layer ${layer.name} is ${cls}`);
    const [rowsIn, outDim] = k.shape as [number, number];
    const kernel = Array.from(k.dataSync());
    const bias = Array.from(b.dataSync());
    if (layer.name === 'probs') dense = { inDim: rowsIn, kernel, bias };
    else convs.push({ inDim: rowsIn / 2, outDim, kernel, bias });
  }
  if (dense === null) throw new ModelError('UNSUPPORTED_LAYER', 'sequence network has no Dense output layer');
  return { window, dim, mean: [...s.mean], std: [...s.std], convs, dense };
}

