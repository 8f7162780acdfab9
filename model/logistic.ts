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
 * Mean (class-weighted) softmax cross-entropy + l2/2 |W|^2 of the parameters w (d x K kernel
 * row-major, then K intercepts) on standardized rows x, and its gradient into `grad`. Written for
 * K = 3 with the three logits and residuals in locals: the hot loop of every logistic fit (the
 * `auto` selection fits it 24 times). Every value goes through the same float64 operations in the
 * same order as the plain per-class loops it replaced (each gradient element sums its row terms in
 * row order; z_k = b_k + sum_j x_j w_jk in j order; max, the exp sum and lse as before), so the
 * fits are bit for bit what they were (test/unit/model/logistic-objective.test.ts holds the plain
 * loops as the oracle).
 */
export function softmaxObjective(x: Float64Array, y: Uint8Array, dim: number, l2: number, n: number, classWeights: readonly number[] | null): (w: Float64Array, grad: Float64Array) => number {
  if (K !== 3) throw new Error('softmaxObjective is written for 3 classes');
  const nw = dim * K;
  const w0 = classWeights === null ? 1 : (classWeights[0] as number);
  const w1 = classWeights === null ? 1 : (classWeights[1] as number);
  const w2 = classWeights === null ? 1 : (classWeights[2] as number);
  const weighted = classWeights !== null;
  return (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const b0 = w[nw] as number;
    const b1 = w[nw + 1] as number;
    const b2 = w[nw + 2] as number;
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    const rows = y.length;
    for (let i = 0; i < rows; i++) {
      const base = i * dim;
      let z0 = b0;
      let z1 = b1;
      let z2 = b2;
      for (let j = 0; j < dim; j++) {
        const xj = x[base + j] as number;
        const o = j * 3;
        z0 += xj * (w[o] as number);
        z1 += xj * (w[o + 1] as number);
        z2 += xj * (w[o + 2] as number);
      }
      const max = Math.max(Math.max(Math.max(-Infinity, z0), z1), z2);
      let sum = 0;
      sum += Math.exp(z0 - max);
      sum += Math.exp(z1 - max);
      sum += Math.exp(z2 - max);
      const lse = max + Math.log(sum);
      const yi = y[i] as number;
      const zy = yi === 0 ? z0 : yi === 1 ? z1 : z2;
      const wi = yi === 0 ? w0 : yi === 1 ? w1 : w2;
      loss += weighted ? wi * (lse - zy) : lse - zy;
      const q0 = Math.exp(z0 - lse) - (yi === 0 ? 1 : 0);
      const q1 = Math.exp(z1 - lse) - (yi === 1 ? 1 : 0);
      const q2 = Math.exp(z2 - lse) - (yi === 2 ? 1 : 0);
      const r0 = weighted ? wi * q0 : q0;
      const r1 = weighted ? wi * q1 : q1;
      const r2 = weighted ? wi * q2 : q2;
      g0 += r0;
      g1 += r1;
      g2 += r2;
      for (let j = 0; j < dim; j++) {
        const xj = x[base + j] as number;
        const o = j * 3;
        grad[o] = (grad[o] as number) + xj * r0;
        grad[o + 1] = (grad[o + 1] as number) + xj * r1;
        grad[o + 2] = (grad[o + 2] as number) + xj * r2;
      }
    }
    grad[nw] = g0;
    grad[nw + 1] = g1;
    grad[nw + 2] = g2;
    let penalty = 0;
    for (let i = 0; i < nw + K; i++) grad[i] = (grad[i] as number) / n;
    for (let i = 0; i < nw; i++) {
      const wi = w[i] as number;
      penalty += wi * wi;
      grad[i] = (grad[i] as number) + l2 * wi;
    }
    return loss / n + 0.5 * l2 * penalty;
  };
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
  const objective = softmaxObjective(x, y, dim, l2, n, classWeights);
  const nw = dim * K;
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
