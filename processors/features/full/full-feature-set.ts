import type { FeatureSetDef, FeatureState } from './feature-set-def.ts';
import { finestFirst, isSignalInterval, mtfIntervals } from '../../signal-interval.ts';
import { FULL_FEATURE_DEFAULTS, fullFeatureDefs, fullFeatureSetHash, type FullFeatureOptions } from './full-feature-defs.ts';
import { FullFeatureState } from './full-feature-state.ts';
import { assertCalendar } from './time-features.ts';

export const FULL_FEATURE_SET_ID = 'full-v1';

function validate(o: FullFeatureOptions): void {
  assertCalendar(o.calendar);
  if (!isSignalInterval(o.signalInterval)) throw new RangeError(`full-v1: signalInterval ${String(o.signalInterval)} is not one of 1m, 5m, 15m, 1h, 4h, 1d`);
  for (const [k, v] of [['rate', o.rate], ['dividendYield', o.dividendYield]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`full-v1: ${k} must be finite, got ${v}`);
  }
  if (!(Number.isFinite(o.contractMultiplier) && o.contractMultiplier > 0)) throw new RangeError(`full-v1: contractMultiplier must be > 0, got ${o.contractMultiplier}`);
  if (!(Number.isInteger(o.ivMinPeriods) && Number.isInteger(o.ivLookback) && o.ivMinPeriods >= 2 && o.ivMinPeriods <= o.ivLookback)) {
    throw new RangeError(`full-v1: need integers 2 <= ivMinPeriods (${o.ivMinPeriods}) <= ivLookback (${o.ivLookback})`);
  }
}

/**
 * full-v1 with the given options (defaults: FULL_FEATURE_DEFAULTS). Every option is a param of the
 * features it affects, so e.g. another calendar or contract multiplier gives another hash.
 */
export function fullFeatureSet(options: Partial<FullFeatureOptions> = {}): FeatureSetDef {
  const o: FullFeatureOptions = { ...FULL_FEATURE_DEFAULTS, ...options };
  validate(o);
  const calendar = o.calendar;
  assertCalendar(calendar); // narrows the type for the state
  const defs = fullFeatureDefs(o);
  const names = Object.freeze(defs.map((d) => d.name));
  const pricing = Object.freeze({ rate: o.rate, dividendYield: o.dividendYield, multiplier: o.contractMultiplier });
  const opts = Object.freeze({ ...o, calendar });
  return Object.freeze({
    id: FULL_FEATURE_SET_ID,
    hash: fullFeatureSetHash(FULL_FEATURE_SET_ID, defs),
    names,
    intervals: Object.freeze(finestFirst([o.signalInterval, ...mtfIntervals(o.signalInterval)])),
    signalInterval: o.signalInterval,
    create: (symbol: string): FeatureState => new FullFeatureState(symbol, names, opts, pricing),
  });
}

export const FULL_FEATURE_SET: FeatureSetDef = fullFeatureSet();
