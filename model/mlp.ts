import * as tf from '@tensorflow/tfjs';
import { Rng } from '../processors/math/rng.ts';
import { CLASSES } from '../processors/types.ts';

export interface MlpConfig {
  hidden: number[];
  /** L2 penalty on every kernel. */
  l2: number;
  learningRate: number;
}

export const DEFAULT_MLP: MlpConfig = { hidden: [32, 16], l2: 1e-4, learningRate: 1e-3 };

/**
 * Dense(relu) x hidden -> Dense(3, softmax), glorot-uniform kernels seeded from `seed` (one
 * derived seed per layer), zero biases, Adam, categorical cross-entropy. Layer and model names
 * are fixed so model.json does not depend on how many models the process built before.
 */
export function buildMlp(inputDim: number, seed: number, config: MlpConfig = DEFAULT_MLP): tf.Sequential {
  const rng = new Rng(seed);
  const model = tf.sequential({ name: 'tickflow_mlp' });
  const units = [...config.hidden, CLASSES.length];
  units.forEach((u, i) => {
    const last = i === units.length - 1;
    model.add(
      tf.layers.dense({
        name: last ? 'probs' : `hidden${i + 1}`,
        units: u,
        activation: last ? 'softmax' : 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: rng.nextUint32() }),
        biasInitializer: 'zeros',
        kernelRegularizer: tf.regularizers.l2({ l2: config.l2 }),
        ...(i === 0 ? { inputShape: [inputDim] } : {}),
      }),
    );
  });
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: 'categoricalCrossentropy' });
  return model;
}
