import type { GraphEvent } from '../../processors/graph-events.ts';
import { DEFAULT_GRAPH_CONFIG } from '../../processors/graph.ts';
import type { Predictor } from '../../processors/types.ts';

/**
 * A deterministic stand-in for a trained model over the default feature set: probabilities from the
 * first two features, so signals vary with the inputs (the group and checkpoint tests compare them).
 */
export function toyPredictor(modelId = 'test-model'): Predictor {
  return {
    modelId,
    featureSetHash: DEFAULT_GRAPH_CONFIG.featureSet.hash,
    featureNames: DEFAULT_GRAPH_CONFIG.featureSet.names,
    predict(row) {
      const a = Math.abs(Math.tanh(row[0] ?? 0)) / 2;
      const b = Math.abs(Math.tanh(row[1] ?? 0)) / 2;
      return [a, 1 - a - b / 2, b / 2];
    },
  };
}

/**
 * The same stand-in as a sequence model (model/sequence.ts contract): it takes the symbol's last
 * `window` rows, oldest first, and weighs each step's first two features differently, so its
 * signals depend on the history the infer operator keeps.
 */
export function toySequencePredictor(window = 4, modelId = 'test-sequence-model'): Predictor {
  const d = DEFAULT_GRAPH_CONFIG.featureSet.names.length;
  return {
    ...toyPredictor(modelId),
    window,
    predict(rows) {
      let x0 = 0;
      let x1 = 0;
      for (let k = 0; k < window; k++) {
        x0 += (k + 1) * (rows[k * d] ?? 0);
        x1 += (window - k) * (rows[k * d + 1] ?? 0);
      }
      const a = Math.abs(Math.tanh(x0 / window)) / 2;
      const b = Math.abs(Math.tanh(x1 / window)) / 2;
      return [a, 1 - a - b / 2, b / 2];
    },
  };
}

/** A graph event as comparable text (byte arrays as hex). */
export const graphEventKey = (e: GraphEvent): string => JSON.stringify(e, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
