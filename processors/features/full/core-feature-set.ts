import type { Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { FEATURE_NAMES, FEATURE_SET_HASH, FEATURE_SET_ID, SymbolFeatures } from '../feature-set.ts';
import type { FeatureSetDef, FeatureState } from './feature-set-def.ts';

/** core-v1 behind the FeatureState interface: SymbolFeatures fed the 5m bars only. */
class CoreFeatureState implements FeatureState {
  private readonly sf = new SymbolFeatures();

  onBar(bar: Bar): void {
    if (bar.interval === '5m') this.sf.onBar(bar);
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

export const CORE_FEATURE_SET: FeatureSetDef = Object.freeze({
  id: FEATURE_SET_ID,
  hash: FEATURE_SET_HASH,
  names: FEATURE_NAMES,
  intervals: Object.freeze(['1m', '5m']),
  create: (_symbol: string): FeatureState => new CoreFeatureState(),
});
