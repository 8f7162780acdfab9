import { featureSetByHash } from '../processors/graph.ts';
import type { Predictor } from '../processors/types.ts';
import { UsageError } from './output.ts';

/**
 * Refuses to run a model at another signal interval than the one it was trained on (its feature
 * set's hash covers the interval, and its manifest records labelConfig.barIntervalMs): a model
 * trained on 1h bars has never seen 5m features.
 */
export function requireModelInterval(predictor: Predictor, interval: string, modelDir: string): void {
  const trained = featureSetByHash(predictor.featureSetHash).signalInterval;
  if (trained !== interval) {
    throw new UsageError(`model ${predictor.modelId} (${modelDir}) was trained on ${trained} bars, this run is at --interval ${interval}: pass --interval ${trained}, or train a model on ${interval} bars`);
  }
}
