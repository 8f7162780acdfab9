/**
 * ModelHealth v1: how a live model is doing on one symbol, computed by the graph from the log
 * (feature vectors, signals and the bars that mature their labels), so replay reproduces it.
 */
export interface ModelHealth {
  symbol: string;
  /** The bar end of the feature vector that triggered this report. */
  tsEvent: number;
  tsInit: number;
  modelId: string;
  /** Feature vectors of this symbol seen so far, and how many the PSI window holds. */
  vectors: number;
  window: number;
  /** Largest PSI over the important features against the training distribution; null until the window is full. */
  psiMax: number | null;
  psiFeature: string | null;
  /** Important features with PSI above the threshold. */
  driftedFeatures: string[];
  /** Signals whose label matured (the horizon after them), in the rolling window. */
  matured: number;
  /** Share of those whose most probable class was the realized one; null before any matured. */
  hitRate: number | null;
  /** One-sided 99 % upper bound of the hit rate (normal approximation). */
  hitRateUpper: number | null;
  /** The hit rates the model has shown (manifest): the lower of its holdout 95 % interval's lower bound and its worst CV fold, and the interval's upper bound. */
  expectedHitRateLo: number | null;
  expectedHitRateHi: number | null;
  /** Mean probability of the predicted class over the matured window, and that minus the hit rate (> 0: over-confident). */
  meanConfidence: number | null;
  calibrationGap: number | null;
  retrain: boolean;
  /** 'high' | 'medium' when retrain, else null. */
  priority: string | null;
  reason: string | null;
}

const nullable = (type: string): object => ({ type: ['null', type], default: null });

export const MODEL_HEALTH_SCHEMA = {
  type: 'record',
  name: 'ModelHealth',
  namespace: 'tickflow.v1',
  doc: 'Drift (PSI) and live hit rate of a model on one symbol, with a retrain recommendation.',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'tsEvent', type: 'long' },
    { name: 'tsInit', type: 'long' },
    { name: 'modelId', type: 'string' },
    { name: 'vectors', type: 'long' },
    { name: 'window', type: 'int' },
    { name: 'psiMax', ...nullable('double') },
    { name: 'psiFeature', ...nullable('string') },
    { name: 'driftedFeatures', type: { type: 'array', items: 'string' } },
    { name: 'matured', type: 'int' },
    { name: 'hitRate', ...nullable('double') },
    { name: 'hitRateUpper', ...nullable('double') },
    { name: 'expectedHitRateLo', ...nullable('double') },
    { name: 'expectedHitRateHi', ...nullable('double') },
    { name: 'meanConfidence', ...nullable('double') },
    { name: 'calibrationGap', ...nullable('double') },
    { name: 'retrain', type: 'boolean' },
    { name: 'priority', ...nullable('string') },
    { name: 'reason', ...nullable('string') },
  ],
} as const;
