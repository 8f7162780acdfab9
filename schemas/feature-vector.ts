/**
 * FeatureVector v1: the named features of one symbol at one bar close. A feature that is
 * not warmed up yet is null (absent), never 0 or NaN.
 */
export interface FeatureVector {
  /** = barEnd: a feature vector is known when its bar closes. */
  tsEvent: number;
  tsInit: number;
  symbol: string;
  interval: string;
  barEnd: number;
  featureSetId: string;
  featureSetHash: string;
  /** Insertion order is the feature set's order (and the Avro map's encoding order). */
  features: Record<string, number | null>;
}

export const FEATURE_VECTOR_SCHEMA = {
  type: 'record',
  name: 'FeatureVector',
  namespace: 'tickflow.v1',
  doc: 'Named features at a bar close; null = not warmed up.',
  fields: [
    { name: 'tsEvent', type: 'long' },
    { name: 'tsInit', type: 'long' },
    { name: 'symbol', type: 'string' },
    { name: 'interval', type: 'string' },
    { name: 'barEnd', type: 'long' },
    { name: 'featureSetId', type: 'string' },
    { name: 'featureSetHash', type: 'string' },
    { name: 'features', type: { type: 'map', values: ['null', 'double'] } },
  ],
} as const;
