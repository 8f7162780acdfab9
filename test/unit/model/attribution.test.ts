import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradientTimesInput } from '../../../model/attribution.ts';
import { DenseStack, type DenseActivation, type DenseLayer } from '../../../model/dense-stack.ts';
import type { Standardization } from '../../../model/standardization.ts';
import { Rng } from '../../../processors/math/rng.ts';

/**
 * The explainer as it was written before D139 (one output, then one input, at a time; every layer
 * forward, the top gradient rebuilt per call): the reference the faster one must equal bit for bit,
 * since contributions are part of every signal and of the golden replay hash.
 */
function plainGradientTimesInput(stack: DenseStack, s: Standardization): (row: ArrayLike<number>, cls: number) => Float64Array {
  const layers = stack.layers;
  const d = stack.inputDim;
  const z = new Float64Array(d);
  const pre = layers.map((l) => new Float64Array(l.outDim));
  const post = layers.map((l) => new Float64Array(l.outDim));
  const grads = [...layers.map((l) => new Float64Array(l.outDim)), new Float64Array(d)];
  const out = new Float64Array(d);
  return (row, cls) => {
    for (let j = 0; j < d; j++) z[j] = ((row[j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
    let input: Float64Array = z;
    for (let li = 0; li < layers.length; li++) {
      const { inDim, outDim, kernel, bias, activation } = layers[li]!;
      for (let o = 0; o < outDim; o++) {
        let acc = bias[o] as number;
        for (let i = 0, k = o; i < inDim; i++, k += outDim) acc += (input[i] as number) * (kernel[k] as number);
        pre[li]![o] = acc;
        post[li]![o] = activation === 'relu' ? (acc < 0 ? 0 : acc) : activation === 'tanh' ? Math.tanh(acc) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-acc)) : acc;
      }
      input = post[li]!;
    }
    const top = layers.length - 1;
    const gTop = grads[top]!;
    for (let o = 0; o < gTop.length; o++) gTop[o] = (o === cls ? 1 : 0) - 1 / gTop.length;
    for (let li = top; li >= 0; li--) {
      const { inDim, outDim, kernel } = layers[li]!;
      const g = grads[li]!;
      const gIn = li === 0 ? grads[layers.length]! : grads[li - 1]!;
      for (let i = 0; i < inDim; i++) {
        let acc = 0;
        for (let o = 0, k = i * outDim; o < outDim; o++, k++) acc += (kernel[k] as number) * (g[o] as number);
        gIn[i] = acc;
      }
      if (li > 0) {
        const act = layers[li - 1]!.activation;
        for (let i = 0; i < inDim; i++) {
          const p = pre[li - 1]![i] as number;
          const y = post[li - 1]![i] as number;
          const dy = act === 'relu' ? (p > 0 ? 1 : 0) : act === 'tanh' ? 1 - y ** 2 : act === 'sigmoid' ? y * (1 - y) : 1;
          gIn[i] = (gIn[i] as number) * dy;
        }
      }
    }
    const gx = grads[layers.length]!;
    for (let j = 0; j < d; j++) out[j] = (gx[j] as number) * (z[j] as number);
    return out;
  };
}

describe('gradient x input (D139: model-only work at load, four sums at a time)', () => {
  test('bit for bit the plain loops, on stacks of every shape the families make (widths not multiples of 4, one to four layers)', () => {
    const rng = new Rng(139);
    const rand = (n: number, scale = 0.7) => Float64Array.from({ length: n }, () => rng.normal() * scale);
    const shapes: { dims: number[]; acts: DenseActivation[] }[] = [
      { dims: [16, 3], acts: ['softmax'] }, // the logistic family: one softmax layer
      { dims: [16, 32, 16, 3], acts: ['relu', 'relu', 'softmax'] }, // the default MLP
      { dims: [67, 64, 32, 3], acts: ['relu', 'relu', 'softmax'] }, // the full set
      { dims: [5, 7, 3], acts: ['tanh', 'softmax'] },
      { dims: [9, 6, 5, 2, 3], acts: ['sigmoid', 'relu', 'linear', 'softmax'] },
    ];
    for (const { dims, acts } of shapes) {
      const layers: DenseLayer[] = acts.map((activation, i) => ({ inDim: dims[i] as number, outDim: dims[i + 1] as number, activation, kernel: rand((dims[i] as number) * (dims[i + 1] as number)), bias: rand(dims[i + 1] as number) }));
      const stack = new DenseStack(layers);
      const d = dims[0] as number;
      const s = { mean: Array.from(rand(d, 0.1)), std: Array.from({ length: d }, () => 0.5 + rng.next()) };
      const fast = gradientTimesInput(stack, s);
      const plain = plainGradientTimesInput(stack, s);
      for (let trial = 0; trial < 50; trial++) {
        const row = rand(d, 1.5);
        if (trial === 0) row.fill(0);
        for (let c = 0; c < 3; c++) {
          const want = Array.from(plain(row, c));
          const got = Array.from(fast(row, c));
          for (let j = 0; j < d; j++) assert.ok(Object.is(got[j], want[j]), `${dims.join('-')} trial ${trial} class ${c} feature ${j}: ${got[j]} vs ${want[j]}`);
        }
      }
    }
  });

  test('a class outside the last layer is refused', () => {
    const stack = new DenseStack([{ inDim: 2, outDim: 3, activation: 'softmax', kernel: new Float64Array(6), bias: new Float64Array(3) }]);
    assert.throws(() => gradientTimesInput(stack, { mean: [0, 0], std: [1, 1] })([1, 2], 3), /class 3 of 3/);
  });
});
