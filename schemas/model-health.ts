/**
 * ModelHealth (v2: v1 plus `bands`): how a live model is doing on one symbol, computed by the graph from the log
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
  /**
   * Live hit rate per confidence band (v2, appended last; D78): the model's own validation bands
   * (manifest `confidenceBands`), each with the matured signals of the rolling window whose
   * top-class probability falls in it. Null (the Avro default, and what every v1 report reads as):
   * the model's manifest has no confidence bands.
   */
  bands?: HealthBand[] | null;
}

/** One confidence band of a ModelHealth report: live against validation (D78). */
export interface HealthBand {
  /** Band edges of the top-class probability, [from, to) (the last band includes 1), from the manifest. */
  from: number;
  to: number;
  /** Matured signals of the window in this band, and how many of them hit (argmax = realized class). */
  matured: number;
  hits: number;
  /** hits / matured; null when the band has none. */
  hitRate: number | null;
  /** Wilson 95 % interval of the live hit rate; null when the band has none. */
  ci95Lo: number | null;
  ci95Hi: number | null;
  /** The band on the model's test split (manifest): rows, hit rate and its Wilson 95 % interval; null rates for an empty band. */
  validationCount: number;
  validationHitRate: number | null;
  validationCi95Lo: number | null;
  validationCi95Hi: number | null;
  /** Fewer than the minimum matured signals (options.bandMinSamples) live or rows in validation: no difference is claimed. */
  smallSample: boolean;
  /**
   * 'below' | 'above' when neither side is a small sample and the two Wilson 95 % intervals do not
   * overlap (live below or above validation); 'same' when they overlap; null when smallSample.
   */
  difference: string | null;
}

const nullable = (type: string): object => ({ type: ['null', type], default: null });

/** ModelHealth before the per-band field (kept for compatibility tests and for comparing reports recorded under it, D79). */
export const MODEL_HEALTH_SCHEMA_V1 = {
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

const HEALTH_BAND_SCHEMA = {
  type: 'record',
  name: 'HealthBand',
  fields: [
    { name: 'from', type: 'double' },
    { name: 'to', type: 'double' },
    { name: 'matured', type: 'int' },
    { name: 'hits', type: 'int' },
    { name: 'hitRate', type: ['null', 'double'] },
    { name: 'ci95Lo', type: ['null', 'double'] },
    { name: 'ci95Hi', type: ['null', 'double'] },
    { name: 'validationCount', type: 'int' },
    { name: 'validationHitRate', type: ['null', 'double'] },
    { name: 'validationCi95Lo', type: ['null', 'double'] },
    { name: 'validationCi95Hi', type: ['null', 'double'] },
    { name: 'smallSample', type: 'boolean' },
    { name: 'difference', type: ['null', 'string'] },
  ],
} as const;

/** The current ModelHealth schema: V1 plus the live hit rate per confidence band (null by default), appended last. */
export const MODEL_HEALTH_SCHEMA = {
  ...MODEL_HEALTH_SCHEMA_V1,
  fields: [
    ...MODEL_HEALTH_SCHEMA_V1.fields,
    {
      name: 'bands',
      type: ['null', { type: 'array', items: HEALTH_BAND_SCHEMA }],
      default: null,
      doc: 'Live hit rate per confidence band of the manifest, beside the validation hit rate of the band; null: the manifest has no confidence bands.',
    },
  ],
} as const;
