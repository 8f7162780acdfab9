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

/** A graph event as comparable text (byte arrays as hex). */
export const graphEventKey = (e: GraphEvent): string => JSON.stringify(e, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
