import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import type { Bar } from '../../../schemas/bar.ts';
import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { DEFAULT_SIGNAL_INTERVAL, finestFirst, isSignalInterval, mtfIntervals, SIGNAL_INTERVALS, type SignalInterval } from '../../signal-interval.ts';
import { FEATURE_DEFS, featureSetHash, SymbolFeatures, type FeatureDef } from '../feature-set.ts';
import { LinearWeightedMean } from '../linear-weighted-mean.ts';
import { OrderFlowImbalance } from '../order-flow-imbalance.ts';
import { asRecord } from '../state-guards.ts';
import type { FeatureSetDef, FeatureState } from './feature-set-def.ts';

export const CORE_V2_FEATURE_SET_ID = 'core-v2';

/**
 * The one column core-v2 adds to core-v1: the linearly-weighted moving average (TA-Lib WMA) of
 * the bar order-flow imbalance over the last 6 bars, newest weighted most. Where `ofi_6` weighs
 * the 6 bars alike, this one lets older order flow fade linearly: flow that moves price with a
 * lag that decays over ~6 bars (D127) is what it carries.
 */
export const OFI_WMA_6_DEF = {
  name: 'ofi_wma_6',
  version: 1,
  warmUp: 6,
  unit: 'fraction in [-1, 1]',
  doc: '(6 ofi_t + 5 ofi_{t-1} + 4 ofi_{t-2} + 3 ofi_{t-3} + 2 ofi_{t-4} + 1 ofi_{t-5}) / 21: linearly-weighted moving average of the bar OFI (null if any is null)',
  source: 'bar',
  params: { n: 6, weights: 'linear' },
} as const satisfies FeatureDef;

/** core-v2's columns: core-v1's, in its order, then ofi_wma_6 (append, never reorder). */
export const CORE_V2_FEATURE_DEFS: readonly FeatureDef[] = Object.freeze([...FEATURE_DEFS, OFI_WMA_6_DEF]);
export const CORE_V2_FEATURE_NAMES: readonly string[] = Object.freeze(CORE_V2_FEATURE_DEFS.map((d) => d.name));
/** sha256 of the definitions, as core-v1's FEATURE_SET_HASH (one more definition, so another hash). */
export const CORE_V2_FEATURE_SET_HASH: string = featureSetHash(CORE_V2_FEATURE_DEFS);

const STATE_VERSION = 1;

/**
 * core-v2 of one symbol: core-v1's SymbolFeatures untouched beside the bar OFI and its 6-bar
 * linearly-weighted average, fed the signal-interval bars only. Bounded state: core-v1's plus a
 * window of 6 OFIs.
 */
export class CoreV2FeatureState implements FeatureState {
  private sf = new SymbolFeatures();
  private ofi = new OrderFlowImbalance();
  private wma = new LinearWeightedMean(6);

  constructor(private readonly signalInterval: string) {}

  onBar(bar: Bar): void {
    if (bar.interval !== this.signalInterval) return;
    // SymbolFeatures first: it throws on a bar out of order before anything here moves.
    this.sf.onBar(bar);
    this.wma.add(this.ofi.add(bar));
  }

  vector(chainAsOf: (t: number) => OptionChainSnapshot | null, barEnd: number): Record<string, number | null> {
    const v = this.sf.vector(chainAsOf(barEnd));
    v[OFI_WMA_6_DEF.name] = this.wma.getResult();
    return v;
  }

  snapshot(): { v: number; core: unknown; ofi: unknown; ofi_wma_6: unknown } {
    return { v: STATE_VERSION, core: this.sf.snapshot(), ofi: this.ofi.snapshot(), ofi_wma_6: this.wma.snapshot() };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'CoreV2FeatureState');
    if (s.v !== STATE_VERSION) throw new TypeError(`CoreV2FeatureState: unsupported state version ${String(s.v)}`);
    // Restore into fresh parts and swap at the end, so a bad state leaves this one untouched.
    const sf = new SymbolFeatures();
    const ofi = new OrderFlowImbalance();
    const wma = new LinearWeightedMean(6);
    sf.restore(s.core);
    ofi.restore(s.ofi);
    wma.restore(s.ofi_wma_6);
    this.sf = sf;
    this.ofi = ofi;
    this.wma = wma;
  }
}

/**
 * core-v2 on bars of `signalInterval`, built as core-v1 is (the same bar intervals; at 5m the hash
 * of the definitions, at another interval a hash that also covers the interval).
 */
export function coreV2FeatureSet(signalInterval: SignalInterval = DEFAULT_SIGNAL_INTERVAL): FeatureSetDef {
  if (!isSignalInterval(signalInterval)) throw new RangeError(`core-v2: signalInterval ${String(signalInterval)} is not one of ${SIGNAL_INTERVALS.join(', ')}`);
  const hash = signalInterval === DEFAULT_SIGNAL_INTERVAL ? CORE_V2_FEATURE_SET_HASH : createHash('sha256').update(canonicalJson({ id: CORE_V2_FEATURE_SET_ID, base: CORE_V2_FEATURE_SET_HASH, signalInterval })).digest('hex');
  const finer = mtfIntervals(signalInterval).filter((i) => SIGNAL_INTERVALS.indexOf(i) < SIGNAL_INTERVALS.indexOf(signalInterval));
  return Object.freeze({
    id: CORE_V2_FEATURE_SET_ID,
    hash,
    names: CORE_V2_FEATURE_NAMES,
    intervals: Object.freeze(finestFirst([...finer, signalInterval])),
    signalInterval,
    create: (_symbol: string): FeatureState => new CoreV2FeatureState(signalInterval),
  });
}

export const CORE_V2_FEATURE_SET: FeatureSetDef = coreV2FeatureSet();
