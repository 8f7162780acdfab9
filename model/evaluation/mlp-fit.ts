import { Rng } from '../../processors/math/rng.ts';
import { DenseStack } from '../dense-stack.ts';
import { fitWithEarlyStopping, type XY } from '../fit.ts';
import { buildMlp, DEFAULT_MLP, type MlpConfig } from '../mlp.ts';
import { RowScorer } from '../row-scorer.ts';
import { fitStandardization, standardizeRows } from '../standardization.ts';
import type { FitFn, TrainingData } from './cross-validate.ts';
import { ModelError } from '../errors.ts';

export interface MlpFitOptions {
  mlp?: Partial<MlpConfig>;
  epochs: number;
  batchSize: number;
  patience: number;
  /** Label horizon: the early-stopping slice is purged from the rows it is fitted on. */
  horizonMs: number;
  /** Share of the given rows (the latest) kept for early stopping, default 0.15 / 0.85 as train uses. */
  stoppingFraction?: number;
}

/**
 * The MLP as a FitFn: the latest `stoppingFraction` of the given rows (cut at a bar end, purged by
 * the horizon) is the early-stopping slice, the rest is fitted on, standardized on the fitted rows
 * only; predictions come from the float64 RowScorer, as the live predictor scores.
 */
export function mlpFit(options: MlpFitOptions): FitFn {
  const mlp: MlpConfig = { ...DEFAULT_MLP, ...options.mlp };
  const stoppingFraction = options.stoppingFraction ?? 0.15 / 0.85;
  return async (data: TrainingData, rows: Uint32Array, seed: number) => {
    const { fit, stop } = stoppingSplit(data.barEnd, rows, stoppingFraction, options.horizonMs);
    const standardization = fitStandardization(data.features, data.dim, fit);
    const xy = (r: Uint32Array): XY => ({
      x: standardizeRows(data.features, data.dim, r, standardization),
      y: Uint8Array.from(r, (i) => data.labels[i] as number),
      dim: data.dim,
    });
    const rng = new Rng(seed);
    const model = buildMlp(data.dim, rng.nextUint32(), mlp);
    try {
      await fitWithEarlyStopping(model, xy(fit), xy(stop), {
        epochs: options.epochs,
        batchSize: options.batchSize,
        patience: options.patience,
        minDelta: 1e-4,
        rng: rng.fork(),
      });
      const scorer = new RowScorer(DenseStack.fromLayersModel(model), standardization);
      return { predict: (row: Float64Array) => scorer.score(row) };
    } finally {
      model.dispose();
    }
  };
}

/** Rows (ascending) -> the earlier part to fit and the latest part for early stopping, purged. */
export function stoppingSplit(barEnd: ArrayLike<number>, rows: Uint32Array, fraction: number, horizonMs: number): { fit: Uint32Array; stop: Uint32Array } {
  const boundary = barEnd[rows[Math.floor(rows.length * (1 - fraction))] ?? 0] as number;
  const fit: number[] = [];
  const stop: number[] = [];
  for (const r of rows) {
    const t = barEnd[r] as number;
    if (t >= boundary) stop.push(r);
    else if (t + horizonMs < boundary) fit.push(r);
  }
  if (fit.length === 0 || stop.length === 0) throw new ModelError('SPLIT_INVALID', `too few rows (${rows.length}) to keep an early-stopping slice`);
  return { fit: Uint32Array.from(fit), stop: Uint32Array.from(stop) };
}
