import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import type { Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { DEFAULT_SIGNAL_INTERVAL, finestFirst, isSignalInterval, mtfIntervals, SIGNAL_INTERVALS, type SignalInterval } from '../../signal-interval.ts';
import { FEATURE_NAMES, FEATURE_SET_HASH, FEATURE_SET_ID, SymbolFeatures } from '../feature-set.ts';
import type { FeatureSetDef, FeatureState } from './feature-set-def.ts';

/** core-v1 behind the FeatureState interface: SymbolFeatures fed the signal-interval bars only. */
class CoreFeatureState implements FeatureState {
  private readonly sf = new SymbolFeatures();

  constructor(private readonly signalInterval: string) {}

  onBar(bar: Bar): void {
    if (bar.interval === this.signalInterval) this.sf.onBar(bar);
  }

  vector(chainAsOf: (t: number) => OptionChainSnapshot | null, barEnd: number): Record<string, number | null> {
    return this.sf.vector(chainAsOf(barEnd));
  }

  snapshot(): unknown {
    return this.sf.snapshot();
  }

  restore(s: unknown): void {
    this.sf.restore(s);
  }
}

/**
 * core-v1 on bars of `signalInterval` (windows count its bars). At 5m its hash is core-v1's
 * original one; at another interval the hash also covers the interval, so a model trained on 1h
 * bars never scores 5m features. The bars built are the signal interval and the next finer one
 * (5m: 1m, 5m, as before).
 */
export function coreFeatureSet(signalInterval: SignalInterval = DEFAULT_SIGNAL_INTERVAL): FeatureSetDef {
  if (!isSignalInterval(signalInterval)) throw new RangeError(`core-v1: signalInterval ${String(signalInterval)} is not one of ${SIGNAL_INTERVALS.join(', ')}`);
  const hash = signalInterval === DEFAULT_SIGNAL_INTERVAL ? FEATURE_SET_HASH : createHash('sha256').update(canonicalJson({ id: FEATURE_SET_ID, base: FEATURE_SET_HASH, signalInterval })).digest('hex');
  const finer = mtfIntervals(signalInterval).filter((i) => SIGNAL_INTERVALS.indexOf(i) < SIGNAL_INTERVALS.indexOf(signalInterval));
  return Object.freeze({
    id: FEATURE_SET_ID,
    hash,
    names: FEATURE_NAMES,
    intervals: Object.freeze(finestFirst([...finer, signalInterval])),
    signalInterval,
    create: (_symbol: string): FeatureState => new CoreFeatureState(signalInterval),
  });
}

export const CORE_FEATURE_SET: FeatureSetDef = coreFeatureSet();
