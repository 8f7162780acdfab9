import { CLASSES } from '../processors/types.ts';
import { ModelError } from './errors.ts';
import { softmaxInPlace } from './gbdt-model.ts';
import type { RowModel, WindowStream } from './family.ts';

/**
 * The sequence family (D56): a temporal convolutional network over the last `window` feature
 * vectors of a symbol. Four causal convolutions of kernel 2 with stride 2 (16 -> 8 -> 4 -> 2 -> 1
 * steps), relu, then Dense(3, softmax). With kernel 2 and stride 2 each output sees exactly the
 * steps the last output of a causal dilated TCN (dilations 1, 2, 4, 8) sees: it is that network
 * evaluated at the last step only, without padding (so no zero padding of early steps either).
 *
 * Input (live, replay, training alike): the raw feature rows of the window, oldest first,
 * concatenated (window x dim values); each step is standardized with the manifest's mean/std.
 */
export interface SequenceConfig {
  /** Steps per window; a power of two (the network halves it down to 1). */
  window: number;
  /** Channels of every convolution. */
  filters: number;
  /** L2 penalty on every kernel. */
  l2: number;
  learningRate: number;
}

export const DEFAULT_SEQUENCE: SequenceConfig = { window: 16, filters: 16, l2: 1e-4, learningRate: 1e-3 };

export interface ConvParams {
  /** Input channels and output channels; kernel size 2, stride 2, no padding. */
  inDim: number;
  outDim: number;
  /** tfjs layout [kernelSize=2][inDim][outDim], flattened. */
  kernel: number[];
  bias: number[];
}

/** What params.json holds for the sequence family (canonical JSON, hashed into the modelId). */
export interface SequenceParams {
  window: number;
  dim: number;
  /** Per-step standardization (the train split's mean/std of the rows). */
  mean: number[];
  std: number[];
  convs: ConvParams[];
  /** Dense(filters -> 3, softmax), row-major [inDim][3]. */
  dense: { inDim: number; kernel: number[]; bias: number[] };
}

export function checkWindow(window: number): void {
  if (!Number.isInteger(window) || window < 2 || (window & (window - 1)) !== 0) throw new ModelError('TRAINING_FAILED', `sequence window must be a power of two >= 2, got ${window}`);
}

/**
 * The sequence network in float64 JavaScript: same weights, same window, same bits on every
 * machine. Each output sums its bias first, then kernel tap, then input channel, in index order.
 */
export class SequenceModel implements RowModel {
  readonly inputDim: number;
  readonly window: number;
  private readonly bufs: Float64Array[];
  private readonly out = new Float64Array(CLASSES.length);
  private readonly convs: { inDim: number; outDim: number; kernel: Float64Array; bias: Float64Array }[];
  private readonly dense: { inDim: number; kernel: Float64Array; bias: Float64Array };
  private readonly mean: Float64Array;
  private readonly std: Float64Array;

  constructor(readonly params: SequenceParams) {
    const { window, dim, convs, dense } = params;
    checkWindow(window);
    if (params.mean.length !== dim || params.std.length !== dim) throw new ModelError('INPUT_SHAPE', `sequence standardization has ${params.mean.length} features, model expects ${dim}`);
    if (convs.length !== Math.log2(window)) throw new ModelError('UNSUPPORTED_LAYER', `a window of ${window} needs ${Math.log2(window)} convolutions, params have ${convs.length}`);
    let inDim = dim;
    for (const [i, c] of convs.entries()) {
      if (c.inDim !== inDim || c.kernel.length !== 2 * c.inDim * c.outDim || c.bias.length !== c.outDim) throw new ModelError('UNSUPPORTED_LAYER', `convolution ${i}: weight shapes do not match`);
      inDim = c.outDim;
    }
    if (dense.inDim !== inDim || dense.kernel.length !== inDim * CLASSES.length || dense.bias.length !== CLASSES.length) throw new ModelError('UNSUPPORTED_LAYER', 'sequence output layer: weight shapes do not match');
    this.window = window;
    this.inputDim = window * dim;
    this.mean = Float64Array.from(params.mean);
    this.std = Float64Array.from(params.std);
    this.convs = convs.map((c) => ({ inDim: c.inDim, outDim: c.outDim, kernel: Float64Array.from(c.kernel), bias: Float64Array.from(c.bias) }));
    this.dense = { inDim: dense.inDim, kernel: Float64Array.from(dense.kernel), bias: Float64Array.from(dense.bias) };
    this.bufs = [new Float64Array(this.inputDim)];
    let len = window;
    for (const c of convs) {
      len /= 2;
      this.bufs.push(new Float64Array(len * c.outDim));
    }
  }

  /** window x dim raw values, oldest step first; the result is a scratch buffer. NaN in gives NaN out. */
  score(row: ArrayLike<number>): Float64Array {
    if (row.length !== this.inputDim) throw new ModelError('INPUT_SHAPE', `expected ${this.inputDim} values (${this.window} steps), got ${row.length}`);
    const d = this.params.dim;
    const z = this.bufs[0] as Float64Array;
    for (let i = 0; i < this.inputDim; i++) {
      const j = i % d;
      z[i] = ((row[i] as number) - (this.mean[j] as number)) / (this.std[j] as number);
    }
    let x = z;
    let len = this.window;
    for (let li = 0; li < this.convs.length; li++) {
      const { inDim, outDim, kernel, bias } = this.convs[li]!;
      const y = this.bufs[li + 1] as Float64Array;
      len /= 2;
      // Steps 2t and 2t+1 side by side are 2 x inDim contiguous inputs: each output sums its bias,
      // then input j = k x inDim + i times kernel[j][o], j ascending (tfjs's kernel layout). Four
      // outputs at a time in local accumulators, as DenseStack does (independent add chains).
      const pairDim = 2 * inDim;
      for (let t = 0; t < len; t++) {
        const yb = t * outDim;
        const xb = t * pairDim;
        let o = 0;
        for (; o + 4 <= outDim; o += 4) {
          let s0 = bias[o] as number;
          let s1 = bias[o + 1] as number;
          let s2 = bias[o + 2] as number;
          let s3 = bias[o + 3] as number;
          for (let j = 0, k = o; j < pairDim; j++, k += outDim) {
            const xj = x[xb + j] as number;
            s0 += xj * (kernel[k] as number);
            s1 += xj * (kernel[k + 1] as number);
            s2 += xj * (kernel[k + 2] as number);
            s3 += xj * (kernel[k + 3] as number);
          }
          // relu; NaN stays NaN, as in tfjs
          y[yb + o] = s0 < 0 ? 0 : s0;
          y[yb + o + 1] = s1 < 0 ? 0 : s1;
          y[yb + o + 2] = s2 < 0 ? 0 : s2;
          y[yb + o + 3] = s3 < 0 ? 0 : s3;
        }
        for (; o < outDim; o++) {
          let s = bias[o] as number;
          for (let j = 0, k = o; j < pairDim; j++, k += outDim) s += (x[xb + j] as number) * (kernel[k] as number);
          y[yb + o] = s < 0 ? 0 : s;
        }
      }
      x = y;
    }
    return this.head(x, 0, this.out);
  }

  /** Dense(3) + softmax of the last convolution's output at x[at..]; into out. */
  head(x: Float64Array, at: number, out: Float64Array): Float64Array {
    const { inDim, kernel, bias } = this.dense;
    const p = out;
    for (let c = 0; c < p.length; c++) {
      let s = bias[c] as number;
      for (let i = 0; i < inDim; i++) s += (x[at + i] as number) * (kernel[i * p.length + c] as number);
      p[c] = s;
    }
    softmaxInPlace(p);
    return p;
  }

  /** A new incremental scorer of one symbol's window (D76): see SequenceStream. */
  stream(): WindowStream {
    return new SequenceStream(this, this.params.dim, this.mean, this.std, this.convs);
  }
}

/**
 * Incremental inference (D76). With kernel 2 and stride 2, the output of convolution k that ends
 * at step e pairs the outputs of convolution k - 1 that end at steps e - 2^(k-1) and e, whatever
 * window it is computed for (in the window ending at T, output t of convolution k ends at step
 * T - window + (t + 1) 2^k, and its inputs 2t and 2t + 1 end 2^(k-1) steps apart). So each new
 * row adds exactly one output per convolution, and every output a window needs was computed when
 * its last step came in: the stream keeps, per convolution k - 1, the last 2^(k-1) + 1 outputs (a
 * ring indexed by step), and computes the new step's outputs with the same sums in the same
 * order as score() (bias, then the older step's inputs, then the newer step's, index ascending),
 * so the probabilities are bit-identical to score() of the concatenated window. Work per row:
 * one output per convolution instead of window - 1 (16 steps: 4 outputs instead of 15).
 */
class SequenceStream implements WindowStream {
  /** Rows pushed so far; the next row is step n. */
  private n = 0;
  /** rings[0]: standardized rows; rings[k]: outputs of convolution k; slot of step s = s % caps[k]. */
  private readonly rings: Float64Array[];
  private readonly caps: number[];
  private readonly dims: number[];
  private readonly out = new Float64Array(CLASSES.length);

  constructor(
    private readonly model: SequenceModel,
    private readonly dim: number,
    private readonly mean: Float64Array,
    private readonly std: Float64Array,
    private readonly convs: readonly { inDim: number; outDim: number; kernel: Float64Array; bias: Float64Array }[],
  ) {
    const layers = convs.length;
    this.dims = [dim, ...convs.map((c) => c.outDim)];
    // Layer k < layers is read at steps e - 2^k and e by convolution k + 1; the last layer only at e.
    this.caps = this.dims.map((_, k) => (k < layers ? 2 ** k + 1 : 1));
    this.rings = this.dims.map((d, k) => new Float64Array(d * (this.caps[k] as number)));
  }

  push(row: ArrayLike<number>): boolean {
    const d = this.dim;
    if (row.length !== d) throw new ModelError('INPUT_SHAPE', `expected ${d} values (one step), got ${row.length}`);
    const e = this.n++;
    const z = this.rings[0] as Float64Array;
    const zb = (e % (this.caps[0] as number)) * d;
    for (let j = 0; j < d; j++) z[zb + j] = ((row[j] as number) - (this.mean[j] as number)) / (this.std[j] as number);
    for (let k = 1; k <= this.convs.length; k++) {
      const half = 2 ** (k - 1);
      // Convolution k's first output ends at step 2^k - 1.
      if (e < 2 * half - 1) break;
      const x = this.rings[k - 1] as Float64Array;
      const cap = this.caps[k - 1] as number;
      const inDim = this.dims[k - 1] as number;
      pairConv(this.convs[k - 1]!, x, ((e - half) % cap) * inDim, (e % cap) * inDim, this.rings[k] as Float64Array, (e % (this.caps[k] as number)) * (this.dims[k] as number));
    }
    return this.n >= this.model.window;
  }

  score(): Float64Array {
    if (this.n < this.model.window) throw new ModelError('INPUT_SHAPE', `a window needs ${this.model.window} steps, ${this.n} pushed`);
    return this.model.head(this.rings[this.convs.length] as Float64Array, 0, this.out);
  }
}

/**
 * One output step of a kernel-2 convolution with relu: the older step's inputs at x[a..], the
 * newer step's at x[b..], into y[yb..]. The same sums in the same order as score()'s loop (bias,
 * then input j = tap x inDim + i times kernel[j][o], j ascending; four outputs at a time).
 */
function pairConv(c: { inDim: number; outDim: number; kernel: Float64Array; bias: Float64Array }, x: Float64Array, a: number, b: number, y: Float64Array, yb: number): void {
  const { inDim, outDim, kernel, bias } = c;
  const pairDim = 2 * inDim;
  let o = 0;
  for (; o + 4 <= outDim; o += 4) {
    let s0 = bias[o] as number;
    let s1 = bias[o + 1] as number;
    let s2 = bias[o + 2] as number;
    let s3 = bias[o + 3] as number;
    for (let j = 0, k = o; j < pairDim; j++, k += outDim) {
      const xj = x[j < inDim ? a + j : b + j - inDim] as number;
      s0 += xj * (kernel[k] as number);
      s1 += xj * (kernel[k + 1] as number);
      s2 += xj * (kernel[k + 2] as number);
      s3 += xj * (kernel[k + 3] as number);
    }
    y[yb + o] = s0 < 0 ? 0 : s0;
    y[yb + o + 1] = s1 < 0 ? 0 : s1;
    y[yb + o + 2] = s2 < 0 ? 0 : s2;
    y[yb + o + 3] = s3 < 0 ? 0 : s3;
  }
  for (; o < outDim; o++) {
    let s = bias[o] as number;
    for (let j = 0, k = o; j < pairDim; j++, k += outDim) s += (x[j < inDim ? a + j : b + j - inDim] as number) * (kernel[k] as number);
    y[yb + o] = s < 0 ? 0 : s;
  }
}

/**
 * Dataset rows as windows: row r's window is its symbol's `window` rows up to and including r, in
 * dataset (time) order, oldest first, concatenated. A row with fewer than window - 1 earlier rows
 * of its symbol has no window (`full[r]` 0, its values NaN): it is left out of the fit and of
 * every split, as the infer operator gives no signal until a symbol has `window` vectors.
 * Windows look back only, so they carry no information from after the row's bar.
 */
export function buildWindows(features: Float64Array, dim: number, symbolIndex: Uint32Array, window: number): { features: Float64Array; dim: number; full: Uint8Array } {
  const rows = symbolIndex.length;
  const wd = window * dim;
  const out = new Float64Array(rows * wd).fill(Number.NaN);
  const full = new Uint8Array(rows);
  const history = new Map<number, number[]>();
  for (let r = 0; r < rows; r++) {
    const s = symbolIndex[r] as number;
    let h = history.get(s);
    if (h === undefined) history.set(s, (h = []));
    h.push(r);
    if (h.length > window) h.shift();
    if (h.length < window) continue;
    full[r] = 1;
    for (let k = 0; k < window; k++) out.set(features.subarray((h[k] as number) * dim, ((h[k] as number) + 1) * dim), r * wd + k * dim);
  }
  return { features: out, dim: wd, full };
}

/** The rows of `rows` that have a full window. */
export function withFullWindow(rows: Uint32Array, full: Uint8Array): Uint32Array {
  return rows.filter((r) => full[r] === 1);
}

/** Feature names of a window's values: `name@t-k`, k steps before the row (0 = the row itself). */
export function windowFeatureNames(names: readonly string[], window: number): string[] {
  const out: string[] = [];
  for (let k = window - 1; k >= 0; k--) for (const n of names) out.push(`${n}@t-${k}`);
  return out;
}
