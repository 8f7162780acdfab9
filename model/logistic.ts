import { CLASSES } from '../processors/types.ts';
import { DenseStack } from './dense-stack.ts';
import { ModelError } from './errors.ts';
import type { FitInput, RowModel } from './family.ts';
import { lbfgs } from './lbfgs.ts';
import { meanLogLoss } from './metrics.ts';
import { RowScorer } from './row-scorer.ts';
import type { Standardization } from './standardization.ts';

const K = CLASSES.length;

/** Saved parameters: a d x K kernel (row-major, as a Dense layer) and K intercepts, on standardized inputs. */
export interface LogisticParams {
  kernel: number[];
  bias: number[];
}

export interface LogisticConfig {
  /**
   * Candidate L2 strengths (objective: mean cross-entropy + l2/2 * |W|^2, intercepts not
   * penalized); the one with the lowest validation log loss is kept, ties to the stronger.
   * l2 = 1 / (C * n) in scikit-learn's terms.
   */
  l2Grid: number[];
  maxIterations: number;
}

export const DEFAULT_LOGISTIC: LogisticConfig = { l2Grid: [1e-1, 1e-2, 1e-3, 1e-4], maxIterations: 500 };

export interface LogisticFit {
  params: LogisticParams;
  l2: number;
  iterations: number;
  converged: boolean;
  validationLogLoss: number;
}

/** Standardized float64 rows, row-major. */
export function standardizedMatrix(features: Float64Array, dim: number, rows: ArrayLike<number>, s: Standardization): Float64Array {
  const out = new Float64Array(rows.length * dim);
  for (let r = 0; r < rows.length; r++) {
    const base = (rows[r] as number) * dim;
    for (let j = 0; j < dim; j++) out[r * dim + j] = ((features[base + j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
  }
  return out;
}

/**
 * Multinomial logistic regression with L2 on already standardized rows x (n x d), by L-BFGS on
 * the full softmax parameterization (as scikit-learn's lbfgs solver does). Deterministic: sums
 * over rows in row order, over features in index order, start at zero.
 */
export function fitLogisticRegression(
  x: Float64Array,
  y: Uint8Array,
  dim: number,
  l2: number,
  maxIterations = 500,
  classWeights: readonly number[] | null = null,
): { params: LogisticParams; iterations: number; converged: boolean } {
  // Weighted: the mean becomes sum(w_i loss_i) / sum(w_i), so the penalty keeps its scale.
  let n = y.length;
  if (classWeights !== null) {
    n = 0;
    for (let i = 0; i < y.length; i++) n += classWeights[y[i] as number] as number;
  }
  const nw = dim * K;
  const z = new Float64Array(K);
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < y.length; i++) {
      const base = i * dim;
      for (let k = 0; k < K; k++) z[k] = w[nw + k] as number;
      for (let j = 0; j < dim; j++) {
        const xj = x[base + j] as number;
        for (let k = 0; k < K; k++) z[k] = (z[k] as number) + xj * (w[j * K + k] as number);
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, z[k] as number);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp((z[k] as number) - max);
      const lse = max + Math.log(sum);
      const yi = y[i] as number;
      const wi = classWeights === null ? 1 : (classWeights[yi] as number);
      loss += classWeights === null ? lse - (z[yi] as number) : wi * (lse - (z[yi] as number));
      for (let k = 0; k < K; k++) {
        const r0 = Math.exp((z[k] as number) - lse) - (k === yi ? 1 : 0);
        const r = classWeights === null ? r0 : wi * r0;
        grad[nw + k] = (grad[nw + k] as number) + r;
        for (let j = 0; j < dim; j++) grad[j * K + k] = (grad[j * K + k] as number) + (x[base + j] as number) * r;
      }
    }
    let penalty = 0;
    for (let i = 0; i < nw + K; i++) grad[i] = (grad[i] as number) / n;
    for (let i = 0; i < nw; i++) {
      const wi = w[i] as number;
      penalty += wi * wi;
      grad[i] = (grad[i] as number) + l2 * wi;
    }
    return loss / n + 0.5 * l2 * penalty;
  };
  const r = lbfgs(objective, new Float64Array(nw + K), { maxIterations, gradientTolerance: 1e-10, functionTolerance: 0 });
  return {
    params: { kernel: Array.from(r.x.subarray(0, nw)), bias: Array.from(r.x.subarray(nw)) },
    iterations: r.iterations,
    converged: r.converged,
  };
}

/** Fits every l2 in the grid on the train rows and keeps the best on validation. */
export function fitLogistic(input: FitInput, config: LogisticConfig = DEFAULT_LOGISTIC): LogisticFit {
  const { features, dim, labels, standardization } = input;
  const x = standardizedMatrix(features, dim, input.train, standardization);
  const y = Uint8Array.from(input.train, (r) => labels[r] as number);
  const yVal = Uint8Array.from(input.validation, (r) => labels[r] as number);
  let best: LogisticFit | null = null;
  for (const l2 of config.l2Grid) {
    const fit = fitLogisticRegression(x, y, dim, l2, config.maxIterations, input.classWeights ?? null);
    const model = logisticModel(fit.params, standardization);
    const probs = new Float64Array(input.validation.length * K);
    for (let r = 0; r < input.validation.length; r++) {
      const base = (input.validation[r] as number) * dim;
      probs.set(model.score(features.subarray(base, base + dim)), r * K);
    }
    const validationLogLoss = meanLogLoss(probs, yVal);
    if (best === null || validationLogLoss < best.validationLogLoss) best = { ...fit, l2, validationLogLoss };
  }
  if (best === null) throw new ModelError('TRAINING_FAILED', 'logistic regression needs at least one l2 value');
  return best;
}

/** The scorer: standardize, then one softmax Dense layer in float64 (the MLP's code path). */
export function logisticModel(params: LogisticParams, standardization: Standardization): RowModel & { scorer: RowScorer } {
  const dim = params.bias.length === K ? params.kernel.length / K : Number.NaN;
  if (!Number.isInteger(dim)) throw new ModelError('MANIFEST_INVALID', `logistic parameters: kernel of ${params.kernel.length} and ${params.bias.length} intercepts do not fit ${K} classes`);
  const scorer = new RowScorer(
    new DenseStack([{ inDim: dim, outDim: K, activation: 'softmax', kernel: Float64Array.from(params.kernel), bias: Float64Array.from(params.bias) }]),
    standardization,
  );
  return { inputDim: dim, scorer, score: (row) => scorer.score(row) };
}
