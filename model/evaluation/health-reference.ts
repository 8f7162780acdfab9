import { DEFAULT_HEALTH_OPTIONS, type HealthOptions, type HealthReference, type ValidationBand } from '../../processors/health/model-health.ts';
import { DEFAULT_LABEL_CONFIG } from '../../processors/labels.ts';
import type { ModelManifest } from '../manifest.ts';
import { stableFeatures } from './drift.ts';

/**
 * What the live model-health monitor needs from a manifest: each feature's training distribution
 * (evaluation.drift), the hit rates it has shown (holdout accuracy interval, cross-validation folds) and the
 * label definition, and its accuracy by confidence band (confidenceBands: the live hit rate is split
 * on the same edges). Undefined for a model trained before these were recorded (no health reports).
 * Features that wander within the training rows by themselves (halfPsi above STABLE_PSI) are not
 * watched for drift: they would read a stable market as drift (docs/evaluation.md).
 */
export function healthReferenceOf(m: ModelManifest, options: Partial<HealthOptions> = {}): HealthReference | undefined {
  const drift = m.evaluation?.drift;
  if (drift === undefined || drift.features.map((f) => f.name).join('\u0000') !== m.featureNames.join('\u0000')) return undefined;
  const expected = expectedHitRateOf(m);
  return {
    features: drift.features,
    important: stableFeatures(drift),
    expectedHitRate: expected,
    horizonBars: m.labelConfig.horizonBars,
    bands: validationBandsOf(m),
    flatBand: m.labelConfig.flatBand ?? DEFAULT_LABEL_CONFIG.flatBand,
    options: { ...DEFAULT_HEALTH_OPTIONS, ...options },
  };
}

/**
 * The hit rates this model has shown: its holdout accuracy interval, widened down to the lowest
 * cross-validation fold's accuracy (accuracy varies from period to period more than within one).
 * Null when the manifest has no holdout interval. (Also what the dashboard's model card shows.)
 */
export function expectedHitRateOf(m: Pick<ModelManifest, 'evaluation'>): [number, number] | null {
  const ci = m.evaluation?.holdout['accuracy']?.ci95 ?? null;
  const folds = (m.evaluation?.cv?.perFold ?? []).map((f) => f.scores['accuracy']).filter((v): v is number => typeof v === 'number');
  return ci === null ? null : [Math.min(ci[0], ...folds), ci[1]];
}

/**
 * The test split's accuracy by confidence band (manifest `confidenceBands`), the bands the live
 * hit rate is compared with band for band; null for a manifest without them (or with no test rows).
 */
export function validationBandsOf(m: Pick<ModelManifest, 'confidenceBands'>): ValidationBand[] | null {
  const c = m.confidenceBands;
  if (c === undefined || c.n === 0) return null;
  return c.bands.map((b) => ({ from: b.from, to: b.to, count: b.count, hitRate: b.hitRate, ci95: b.ci95 }));
}
