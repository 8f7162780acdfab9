import type { OperatorFunction } from 'rxjs';
import type { InputRange, OptionChainSnapshot } from '../../schemas/index.ts';
import type { GraphStateRegistry } from '../checkpoint/state-registry.ts';
import { AsOfBuffer } from '../features/as-of-buffer.ts';
import type { FeatureSetDef, FeatureState } from '../features/full/feature-set-def.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import type { LogPosition } from '../types.ts';
import { syncFlatMap } from './sync-flat-map.ts';

interface ChainAt {
  snapshot: OptionChainSnapshot;
  pos: LogPosition;
}

/** Chains kept behind the bar end: enough for the 15-minute OI velocity of the full set. */
const CHAIN_HISTORY_MS = 20 * 60_000;

/**
 * Bars → the feature set's state; at each signal-interval bar a FeatureVector, joined as of the
 * bar end with the latest option chain of the same underlying whose tsInit (when tickflow had it)
 * is at or before the bar end (or before an earlier instant, for features that look back).
 * Chains that arrived later, even if already processed, are never used: no look-ahead.
 */
export function computeFeatures(featureSet: FeatureSetDef, signalInterval: string, stats: GraphStats, state?: GraphStateRegistry): OperatorFunction<Flow, Flow> {
  const perSymbol = new Map<string, FeatureState>();
  const chains = new Map<string, AsOfBuffer<ChainAt>>();
  const lastChainAt = new Map<string, number>();
  // Checkpoints (processors/checkpoint): per-symbol feature states, the chain buffers (the chains
  // themselves, as logged) and each underlying's last chain time.
  state?.register('features', {
    snapshot: () => ({
      featureSetHash: featureSet.hash,
      perSymbol: [...perSymbol].map(([sym, st]) => [sym, st.snapshot()]),
      chains: [...chains].map(([u, b]) => [u, b.snapshot()]),
      lastChainAt: [...lastChainAt],
    }),
    restore: (raw) => {
      const s = raw as { featureSetHash?: unknown; perSymbol?: unknown; chains?: unknown; lastChainAt?: unknown } | null;
      if (s === null || typeof s !== 'object' || !Array.isArray(s.perSymbol) || !Array.isArray(s.chains) || !Array.isArray(s.lastChainAt)) throw new TypeError('computeFeatures: bad state');
      if (s.featureSetHash !== featureSet.hash) throw new TypeError(`computeFeatures: state of feature set ${String(s.featureSetHash)}, the graph computes ${featureSet.hash}`);
      perSymbol.clear();
      for (const [sym, st] of s.perSymbol as [string, unknown][]) {
        const f = featureSet.create(sym);
        f.restore(st);
        perSymbol.set(sym, f);
      }
      chains.clear();
      for (const [u, b] of s.chains as [string, { capacity: number }][]) {
        const buf = new AsOfBuffer<ChainAt>({ capacity: b.capacity });
        buf.restore(b);
        chains.set(u, buf);
      }
      lastChainAt.clear();
      for (const [u, t] of s.lastChainAt as [string, number][]) lastChainAt.set(u, t);
    },
  });
  return syncFlatMap<Flow, Flow>((e, emit) => {
    if (e.kind === 'chain') {
      let buf = chains.get(e.value.underlying);
      if (buf === undefined) chains.set(e.value.underlying, (buf = new AsOfBuffer<ChainAt>()));
      const last = lastChainAt.get(e.value.underlying) ?? Number.NEGATIVE_INFINITY;
      if (e.value.tsInit < last) {
        // Only possible when a partition is not in tsInit order; an as-of join cannot take it.
        stats.late++;
        emit({ kind: 'late', late: { tsEvent: e.value.tsEvent, tsInit: e.value.tsInit, symbol: e.value.underlying, topic: e.pos.topic, partition: e.pos.partition, offset: e.pos.offset, watermark: last, reason: `chain tsInit ${e.value.tsInit} before the previous chain's ${last}` } });
        return;
      }
      lastChainAt.set(e.value.underlying, e.value.tsInit);
      // A copy of the position: hosts may pass a larger object (the log record), and this is kept.
      buf.push(e.value.tsInit, { snapshot: e.value, pos: { topic: e.pos.topic, partition: e.pos.partition, offset: e.pos.offset } });
      return;
    }
    emit(e);
    if (e.kind !== 'bar') return;
    const { bar } = e;
    let state = perSymbol.get(bar.symbol);
    if (state === undefined) perSymbol.set(bar.symbol, (state = featureSet.create(bar.symbol)));
    state.onBar(bar);
    if (bar.interval !== signalInterval) return;
    const buf = chains.get(bar.symbol);
    const chainAsOf = (t: number): OptionChainSnapshot | null => (t > bar.end ? null : (buf?.asOf(t)?.snapshot ?? null));
    const features = state.vector(chainAsOf, bar.end);
    const chain = buf?.asOf(bar.end) ?? null;
    buf?.evictBefore(bar.end - CHAIN_HISTORY_MS);
    const inputs: InputRange[] = [...e.inputs];
    if (chain !== null) inputs.push({ topic: chain.pos.topic, partition: chain.pos.partition, fromOffset: chain.pos.offset, toOffset: chain.pos.offset });
    stats.features++;
    emit({
      kind: 'features',
      vector: {
        tsEvent: bar.end,
        tsInit: bar.tsInit,
        symbol: bar.symbol,
        interval: bar.interval,
        barEnd: bar.end,
        featureSetId: featureSet.id,
        featureSetHash: featureSet.hash,
        features,
      },
      inputs,
      chain: chain?.snapshot ?? null,
    });
  });
}
