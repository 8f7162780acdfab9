import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { FEATURE_DEFS, type FeatureDef } from './feature-defs.ts';

export { FEATURE_DEFS, FEATURE_NAMES, type FeatureDef, type FeatureName } from './feature-defs.ts';
export { SymbolFeatures } from './symbol-features.ts';

export const FEATURE_SET_ID = 'core-v1';

/**
 * sha256 (hex) of the canonical JSON of the definitions' semantic fields, in column order:
 * name, version, params, unit, plus warmUp and source (a changed warm-up or input is a changed
 * feature too). `doc` is left out on purpose: rewording a comment must not invalidate models.
 */
export function featureSetHash(defs: readonly FeatureDef[]): string {
  const semantic = defs.map((d) => ({
    name: d.name,
    version: d.version,
    params: d.params,
    unit: d.unit,
    warmUp: d.warmUp,
    source: d.source,
  }));
  return createHash('sha256').update(canonicalJson(semantic)).digest('hex');
}

export const FEATURE_SET_HASH: string = featureSetHash(FEATURE_DEFS);
