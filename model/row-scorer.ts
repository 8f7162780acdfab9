import type { DenseStack } from './dense-stack.ts';
import { standardizeInto, type Standardization } from './standardization.ts';
import { ModelError } from './errors.ts';

/**
 * Raw feature row -> class probabilities: standardize with the manifest's mean/std, then the
 * float64 Dense stack. The one code path shared by the live predictor, replay and the metrics
 * that training reports, so reported metrics are those of the model as deployed.
 */
export class RowScorer {
  private readonly standardized: Float64Array;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;

  constructor(
    readonly stack: DenseStack,
    readonly standardization: Standardization,
  ) {
    const d = stack.inputDim;
    if (standardization.mean.length !== d || standardization.std.length !== d) {
      throw new ModelError('INPUT_SHAPE', `standardization has ${standardization.mean.length} features, model expects ${d}`);
    }
    this.standardized = new Float64Array(d);
    this.mean = Float64Array.from(standardization.mean);
    this.std = Float64Array.from(standardization.std);
  }

  /** Probabilities for one raw row; the result is a scratch buffer, valid until the next call. */
  score(row: ArrayLike<number>): Float64Array {
    if (row.length !== this.standardized.length) {
      throw new ModelError('INPUT_SHAPE', `expected ${this.standardized.length} features, got ${row.length}`);
    }
    return this.stack.forward(standardizeInto(row, this.mean, this.std, this.standardized));
  }

  /** Probabilities for dataset rows (row-major features), as rows.length x outputDim. */
  scoreRows(features: Float64Array, rows: ArrayLike<number>): Float64Array {
    const d = this.standardized.length;
    const k = this.stack.outputDim;
    const out = new Float64Array(rows.length * k);
    for (let r = 0; r < rows.length; r++) {
      const base = (rows[r] as number) * d;
      out.set(this.score(features.subarray(base, base + d)), r * k);
    }
    return out;
  }
}
