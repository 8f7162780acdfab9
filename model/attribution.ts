import { affineInto, type DenseStack } from './dense-stack.ts';
import type { Family } from './family.ts';
import type { GbdtParams } from './gbdt-model.ts';
import type { Standardization } from './standardization.ts';

/**
 * Per-feature contributions to one class, in float64, deterministic (D31). What is explained is
 * the class's centered logit, log p_c - mean_k log p_k, of the family's own probabilities (before
 * calibration): softmax ignores a constant added to every class, so the centered logit is the one
 * the model identifies. Returns a scratch buffer (one value per feature), valid until the next call.
 */
export type Explainer = (row: ArrayLike<number>, cls: number) => Float64Array;

export const ATTRIBUTION_METHODS = ['linear-exact', 'saabas', 'gradient-x-input'] as const;
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

/** The attribution each family's signals carry (the stack has none yet: its signals carry no contributions). */
export const ATTRIBUTION_OF: Readonly<Record<Family, AttributionMethod | undefined>> = { logistic: 'linear-exact', gbdt: 'saabas', mlp: 'gradient-x-input', stack: undefined, sequence: undefined };

/**
 * Gradient x input of a Dense stack on standardized inputs: d(centered logit of c)/dz_j * z_j with
 * z = (x - mean) / std; the logits are the last layer's values before its softmax. For a single
 * softmax layer (the logistic family) the logit is linear in z, so this is exact:
 * coef_jc' * (x_j - mean_j) / std_j with coef' the coefficients centered over classes, and the
 * contributions sum to the centered logit at x minus the centered logit at the train mean.
 */
export function gradientTimesInput(stack: DenseStack, s: Standardization): Explainer {
  const layers = stack.layers;
  const top = layers.length - 1;
  const d = stack.inputDim;
  const mean = Float64Array.from(s.mean);
  const std = Float64Array.from(s.std);
  const z = new Float64Array(d);
  const pre = layers.map((l) => new Float64Array(l.outDim));
  const post = layers.map((l) => new Float64Array(l.outDim));
  const grads = [...layers.map((l) => new Float64Array(l.outDim)), new Float64Array(d)];
  const out = new Float64Array(d);
  // Work that depends on the model alone is done here, once (D139): the gradient of the centered
  // logit with respect to the last layer's pre-activations is (1 if o = cls) - 1/k whatever the
  // row, so its product with the last kernel is one vector per class. Computed with the
  // operations the per-signal loop used (same order, same start), it has the same bits. The last
  // layer's forward values are never read (only the layers below need their pre-activations).
  const topLayer = layers[top]!;
  const topIn = Array.from({ length: topLayer.outDim }, (_, cls) => {
    const g = new Float64Array(topLayer.outDim);
    for (let o = 0; o < g.length; o++) g[o] = (o === cls ? 1 : 0) - 1 / g.length;
    const v = new Float64Array(topLayer.inDim);
    backInto(topLayer.kernel, topLayer.inDim, topLayer.outDim, g, v);
    return v;
  });
  return (row, cls) => {
    for (let j = 0; j < d; j++) z[j] = ((row[j] as number) - (mean[j] as number)) / (std[j] as number);
    let input: Float64Array = z;
    for (let li = 0; li < top; li++) {
      const { inDim, outDim, kernel, bias, activation } = layers[li]!;
      affineInto(kernel, bias, inDim, outDim, input, pre[li]!);
      const p = pre[li]!;
      const y = post[li]!;
      for (let o = 0; o < outDim; o++) {
        const acc = p[o] as number;
        y[o] = activation === 'relu' ? (acc < 0 ? 0 : acc) : activation === 'tanh' ? Math.tanh(acc) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-acc)) : acc;
      }
      input = y;
    }
    const base = topIn[cls];
    if (base === undefined) throw new RangeError(`contributions: class ${cls} of ${topIn.length}`);
    for (let li = top; li >= 0; li--) {
      const gIn = li === 0 ? grads[layers.length]! : grads[li - 1]!;
      if (li === top) gIn.set(base);
      else {
        const { inDim, outDim, kernel } = layers[li]!;
        backInto(kernel, inDim, outDim, grads[li]!, gIn);
      }
      if (li > 0) {
        // Through the activation of the layer below.
        const inDim = layers[li]!.inDim;
        const act = layers[li - 1]!.activation;
        const p = pre[li - 1]!;
        const y = post[li - 1]!;
        for (let i = 0; i < inDim; i++) {
          const dy = act === 'relu' ? ((p[i] as number) > 0 ? 1 : 0) : act === 'tanh' ? 1 - (y[i] as number) ** 2 : act === 'sigmoid' ? (y[i] as number) * (1 - (y[i] as number)) : 1;
          gIn[i] = (gIn[i] as number) * dy;
        }
      }
    }
    const gx = grads[layers.length]!;
    for (let j = 0; j < d; j++) out[j] = (gx[j] as number) * (z[j] as number);
    return out;
  };
}


/**
 * gIn[i] = Σ_o kernel[i, o]·g[o], summed in o order from 0, four inputs at a time (independent add
 * chains): each input's sum is the one-at-a-time loop's.
 */
function backInto(kernel: Float64Array, inDim: number, outDim: number, g: Float64Array, gIn: Float64Array): void {
  let i = 0;
  for (; i + 4 <= inDim; i += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    const k0 = i * outDim;
    for (let o = 0; o < outDim; o++) {
      const go = g[o] as number;
      a0 += (kernel[k0 + o] as number) * go;
      a1 += (kernel[k0 + outDim + o] as number) * go;
      a2 += (kernel[k0 + 2 * outDim + o] as number) * go;
      a3 += (kernel[k0 + 3 * outDim + o] as number) * go;
    }
    gIn[i] = a0;
    gIn[i + 1] = a1;
    gIn[i + 2] = a2;
    gIn[i + 3] = a3;
  }
  for (; i < inDim; i++) {
    let acc = 0;
    for (let o = 0, k = i * outDim; o < outDim; o++, k++) acc += (kernel[k] as number) * (g[o] as number);
    gIn[i] = acc;
  }
}

/**
 * Saabas path attribution for the GBDT (the "approximate contributions" of XGBoost and the
 * treeinterpreter package): every node holds a value (a leaf its leaf value, an internal node the
 * Newton step its rows had before the split); walking a row's path, each split credits its feature
 * with the change of value from parent to child. Per tree the credits telescope to leaf - root, so
 * summed over the class's centered margin they equal the prediction minus the bias
 * (`saabasBias`: centered base scores plus root values).
 */
export function saabas(params: GbdtParams): Explainer {
  const out = new Float64Array(params.inputDim);
  const k = params.baseScore.length;
  return (row, cls) => {
    out.fill(0);
    for (const round of params.rounds) {
      for (let c = 0; c < k; c++) {
        const w = (c === cls ? 1 : 0) - 1 / k;
        const t = round[c]!;
        let node = 0;
        let f = t.feature[0] as number;
        while (f >= 0) {
          const child = (row[f] as number) <= (t.threshold[node] as number) ? (t.left[node] as number) : (t.right[node] as number);
          out[f] = (out[f] as number) + w * ((t.value[child] as number) - (t.value[node] as number));
          node = child;
          f = t.feature[node] as number;
        }
      }
    }
    return out;
  };
}

/** The part of a class's centered margin that no feature explains: centered base scores plus root values. */
export function saabasBias(params: GbdtParams, cls: number): number {
  const k = params.baseScore.length;
  let bias = 0;
  for (let c = 0; c < k; c++) bias += ((c === cls ? 1 : 0) - 1 / k) * (params.baseScore[c] as number);
  for (const round of params.rounds) for (let c = 0; c < k; c++) bias += ((c === cls ? 1 : 0) - 1 / k) * (round[c]!.value[0] as number);
  return bias;
}
