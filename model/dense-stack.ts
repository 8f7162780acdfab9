import { softmaxInPlace } from './gbdt-model.ts';
import type * as tf from '@tensorflow/tfjs';
import { ModelError } from './errors.ts';

export const DENSE_ACTIVATIONS = ['relu', 'linear', 'softmax', 'tanh', 'sigmoid'] as const;
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number];

export interface DenseLayer {
  inDim: number;
  outDim: number;
  activation: DenseActivation;
  /** Row-major [inDim, outDim], as tfjs stores a Dense kernel. */
  kernel: Float64Array;
  bias: Float64Array;
}

/**
 * A stack of Dense layers evaluated in float64 JavaScript: y = act(x · K + b), summing over the
 * inputs in index order. Same weights, same input, same bits, on every machine and backend.
 * Not re-entrant (it reuses scratch buffers), which is fine on one JS thread.
 */
export class DenseStack {
  private readonly scratch: Float64Array[];

  constructor(readonly layers: readonly DenseLayer[]) {
    if (layers.length === 0) throw new ModelError('UNSUPPORTED_LAYER', 'a DenseStack needs at least one layer');
    layers.forEach((l, i) => {
      if (!(DENSE_ACTIVATIONS as readonly string[]).includes(l.activation)) {
        throw new ModelError('UNSUPPORTED_LAYER', `layer ${i}: unsupported activation ${JSON.stringify(l.activation)}`);
      }
      if (l.kernel.length !== l.inDim * l.outDim || l.bias.length !== l.outDim) {
        throw new ModelError('UNSUPPORTED_LAYER', `layer ${i}: weight shapes do not match ${l.inDim}x${l.outDim}`);
      }
      if (i > 0 && layers[i - 1]?.outDim !== l.inDim) {
        throw new ModelError('UNSUPPORTED_LAYER', `layer ${i}: input ${l.inDim} does not match previous output`);
      }
    });
    this.scratch = layers.map((l) => new Float64Array(l.outDim));
  }

  get inputDim(): number {
    return (this.layers[0] as DenseLayer).inDim;
  }

  get outputDim(): number {
    return (this.layers.at(-1) as DenseLayer).outDim;
  }

  /** Units and activation per layer (what the manifest records and checks). */
  architecture(): { units: number; activation: DenseActivation }[] {
    return this.layers.map((l) => ({ units: l.outDim, activation: l.activation }));
  }

  /** Forward pass; the result is a scratch buffer, valid until the next call. */
  forward(x: Float64Array): Float64Array {
    let input = x;
    for (let li = 0; li < this.layers.length; li++) {
      const { inDim, outDim, kernel, bias, activation } = this.layers[li] as DenseLayer;
      const y = this.scratch[li] as Float64Array;
      affineInto(kernel, bias, inDim, outDim, input, y);
      activate(y, activation);
      input = y;
    }
    return input;
  }

  /** Reads kernel, bias and activation from a tfjs model made only of Dense layers. */
  static fromLayersModel(model: tf.LayersModel): DenseStack {
    const layers = model.layers.map((layer, i): DenseLayer => {
      const cls = layer.getClassName();
      if (cls !== 'Dense') throw new ModelError('UNSUPPORTED_LAYER', `layer ${i} (${layer.name}) is ${cls}; only Dense is supported`);
      const config = layer.getConfig();
      const raw = config['activation'];
      const activation = typeof raw === 'string' ? raw : raw == null ? 'linear' : JSON.stringify(raw);
      if (!(DENSE_ACTIVATIONS as readonly string[]).includes(activation)) {
        throw new ModelError('UNSUPPORTED_LAYER', `layer ${i} (${layer.name}): unsupported activation ${JSON.stringify(activation)}`);
      }
      const [kernelT, biasT] = layer.getWeights();
      if (kernelT === undefined || kernelT.shape.length !== 2) {
        throw new ModelError('UNSUPPORTED_LAYER', `layer ${i} (${layer.name}) has no 2-D kernel`);
      }
      const [inDim, outDim] = kernelT.shape as [number, number];
      return {
        inDim,
        outDim,
        activation: activation as DenseActivation,
        kernel: Float64Array.from(kernelT.dataSync()),
        bias: biasT === undefined ? new Float64Array(outDim) : Float64Array.from(biasT.dataSync()),
      };
    });
    return new DenseStack(layers);
  }
}

function activate(y: Float64Array, activation: DenseActivation): void {
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      for (let j = 0; j < y.length; j++) if ((y[j] as number) < 0) y[j] = 0; // NaN stays NaN, as in tfjs
      return;
    case 'tanh':
      for (let j = 0; j < y.length; j++) y[j] = Math.tanh(y[j] as number);
      return;
    case 'sigmoid':
      for (let j = 0; j < y.length; j++) y[j] = 1 / (1 + Math.exp(-(y[j] as number)));
      return;
    case 'softmax':
      softmaxInPlace(y);
      return;
  }
}

/**
 * y[o] = bias[o] + Σ_i x[i]·kernel[i, o] (tfjs's kernel layout), each output summed from its bias,
 * then inputs in i order. Four outputs at a time in local accumulators (independent add chains:
 * about 2x faster than one output at a time in V8); each output's sum is the one-at-a-time loop's,
 * bit for bit. DenseStack.forward and the attribution's forward pass (attribution.ts) share it.
 */
export function affineInto(kernel: Float64Array, bias: Float64Array, inDim: number, outDim: number, x: Float64Array, y: Float64Array): void {
  let o = 0;
  for (; o + 4 <= outDim; o += 4) {
    let s0 = bias[o] as number;
    let s1 = bias[o + 1] as number;
    let s2 = bias[o + 2] as number;
    let s3 = bias[o + 3] as number;
    for (let i = 0, k = o; i < inDim; i++, k += outDim) {
      const xi = x[i] as number;
      s0 += xi * (kernel[k] as number);
      s1 += xi * (kernel[k + 1] as number);
      s2 += xi * (kernel[k + 2] as number);
      s3 += xi * (kernel[k + 3] as number);
    }
    y[o] = s0;
    y[o + 1] = s1;
    y[o + 2] = s2;
    y[o + 3] = s3;
  }
  for (; o < outDim; o++) {
    let acc = bias[o] as number;
    for (let i = 0, k = o; i < inDim; i++, k += outDim) acc += (x[i] as number) * (kernel[k] as number);
    y[o] = acc;
  }
}
