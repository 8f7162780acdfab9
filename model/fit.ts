import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../processors/math/rng.ts';
import { CLASSES } from '../processors/types.ts';
import { meanLogLoss } from './metrics.ts';

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean training loss of the epoch so far (cross-entropy plus the L2 penalty). */
  loss: number;
  /** Validation log loss, on the last batch of each epoch. */
  valLoss?: number;
  /** Time left if every epoch runs (early stopping can only make it shorter). */
  etaMs: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Epochs without a validation improvement larger than minDelta before stopping. */
  patience: number;
  minDelta: number;
  /** Shuffles the training rows each epoch. */
  rng: Rng;
  /** Per-class loss weights for the train rows (the one-hot target scaled by its class weight: categorical cross-entropy is linear in the target); validation loss stays unweighted. */
  classWeights?: readonly number[] | null;
  onProgress?: (p: TrainProgress) => void;
}

export interface FitResult {
  epochsRun: number;
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  bestValLoss: number;
  history: { loss: number; valLoss: number }[];
}

/** A standardized float32 matrix with its class labels. */
export interface XY {
  x: Float32Array;
  y: Uint8Array;
  dim: number;
}

const K = CLASSES.length;

/**
 * Mini-batch training with our own seeded shuffle (Fisher-Yates on `rng`; tfjs's own shuffle
 * uses Math.random) and early stopping on validation log loss. tfjs's earlyStopping callback
 * cannot restore the best weights, so we clone them at each improvement and set them back.
 */
export async function fitWithEarlyStopping(model: tf.LayersModel, train: XY, val: XY, opts: FitOptions): Promise<FitResult> {
  const n = train.y.length;
  const batches = Math.ceil(n / opts.batchSize);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const history: FitResult['history'] = [];
  let best: tf.Tensor[] | null = null;
  let bestValLoss = Infinity;
  let bestEpoch = 0;
  let sinceBest = 0;
  const started = performance.now();
  const cw = opts.classWeights ?? null;
  const xb = new Float32Array(opts.batchSize * train.dim);
  const yb = new Float32Array(opts.batchSize * K);
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(opts.rng.next() * (i + 1));
        const t = order[i] as number;
        order[i] = order[j] as number;
        order[j] = t;
      }
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const from = b * opts.batchSize;
        const size = Math.min(opts.batchSize, n - from);
        yb.fill(0);
        for (let r = 0; r < size; r++) {
          const row = order[from + r] as number;
          xb.set(train.x.subarray(row * train.dim, (row + 1) * train.dim), r * train.dim);
          const c = train.y[row] as number;
          yb[r * K + c] = cw === null ? 1 : (cw[c] as number);
        }
        const xs = tf.tensor2d(xb.subarray(0, size * train.dim), [size, train.dim]);
        const ys = tf.tensor2d(yb.subarray(0, size * K), [size, K]);
        const loss = await model.trainOnBatch(xs, ys);
        tf.dispose([xs, ys]);
        lossSum += Array.isArray(loss) ? (loss[0] as number) : loss;
        const last = b === batches - 1;
        const valLoss = last ? meanLogLoss(await predictBatched(model, val), val.y) : undefined;
        if (last) history.push({ loss: lossSum / batches, valLoss: valLoss as number });
        if (opts.onProgress) {
          const done = (epoch - 1) * batches + b + 1;
          const etaMs = ((performance.now() - started) / done) * (opts.epochs * batches - done);
          const p: TrainProgress = { epoch, epochs: opts.epochs, batch: b + 1, batches, loss: lossSum / (b + 1), etaMs };
          if (valLoss !== undefined) p.valLoss = valLoss;
          opts.onProgress(p);
        }
      }
      const valLoss = (history.at(-1) as { valLoss: number }).valLoss;
      if (valLoss < bestValLoss - opts.minDelta) {
        if (best) tf.dispose(best);
        best = model.getWeights().map((w) => w.clone());
        bestValLoss = valLoss;
        bestEpoch = epoch;
        sinceBest = 0;
      } else if (++sinceBest >= opts.patience) break;
    }
    if (best) model.setWeights(best);
    return { epochsRun: history.length, bestEpoch, bestValLoss, history };
  } finally {
    if (best) tf.dispose(best);
  }
}

/** Model outputs for a whole matrix, in chunks to bound memory; row-major n x K float32. */
export async function predictBatched(model: tf.LayersModel, data: XY, chunk = 4096): Promise<Float32Array> {
  const n = data.y.length;
  const out = new Float32Array(n * K);
  for (let from = 0; from < n; from += chunk) {
    const size = Math.min(chunk, n - from);
    const x = tf.tensor2d(data.x.subarray(from * data.dim, (from + size) * data.dim), [size, data.dim]);
    const y = model.predict(x) as tf.Tensor;
    out.set(await y.data(), from * K);
    tf.dispose([x, y]);
  }
  return out;
}
