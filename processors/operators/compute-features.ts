import type { OperatorFunction } from 'rxjs';
import { intervalMs, type Bar, type InputRange, type OptionChainSnapshot } from '../../schemas/index.ts';
import type { GraphStateRegistry } from '../checkpoint/state-registry.ts';
import { AsOfBuffer } from '../features/as-of-buffer.ts';
import type { FeatureSetDef, FeatureState, ReferenceCloses } from '../features/full/feature-set-def.ts';
import { RingWindow } from '../features/ring-window.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import type { LogPosition } from '../types.ts';
import { syncFlatMap } from './sync-flat-map.ts';

interface ChainAt {
  snapshot: OptionChainSnapshot;
  pos: LogPosition;
}

/** Chains kept behind the bar end: enough for the 15-minute OI velocity of the full set. */
const CHAIN_HISTORY_MS = 20 * 60_000;

/** Reference closes kept (cross-v1): ~14 days of 5m bars, far more than any window looks back. */
const REFERENCE_HISTORY = 4096;

interface BarFlow {
  bar: Bar;
  inputs: InputRange[];
}

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
  // Cross-symbol sets (featureSet.reference): the reference's signal-interval closes, how far its
  // bars are known to be complete (every reference bar ending at or before refThrough has been
  // seen), and each symbol's bars held until the reference has passed their end.
  const reference = featureSet.reference;
  const holdBars = featureSet.holdBars ?? 12;
  const signalMs = intervalMs(signalInterval);
  const refCloses = new RingWindow<[number, number]>(REFERENCE_HISTORY);
  let refThrough = Number.NEGATIVE_INFINITY;
  const held = new Map<string, BarFlow[]>();
  const refCloseAt: ReferenceCloses = (end) => {
    // Binary search: ends increase along the window.
    let lo = 0;
    let hi = refCloses.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [e, c] = refCloses.at(mid);
      if (e === end) return c;
      if (e < end) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  };
  // Checkpoints (processors/checkpoint): per-symbol feature states, the chain buffers (the chains
  // themselves, as logged) and each underlying's last chain time.
  state?.register('features', {
    snapshot: () => ({
      featureSetHash: featureSet.hash,
      perSymbol: [...perSymbol].map(([sym, st]) => [sym, st.snapshot()]),
      chains: [...chains].map(([u, b]) => [u, b.snapshot()]),
      lastChainAt: [...lastChainAt],
      ...(reference === undefined ? {} : { cross: { refCloses: refCloses.toArray(), refThrough, held: [...held].map(([sym, q]) => [sym, q]) } }),
    }),
    restore: (raw) => {
      const s = raw as { featureSetHash?: unknown; perSymbol?: unknown; chains?: unknown; lastChainAt?: unknown; cross?: { refCloses?: unknown; refThrough?: unknown; held?: unknown } } | null;
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
      if (reference !== undefined) {
        const c = s.cross;
        if (c === undefined || !Array.isArray(c.refCloses) || typeof c.refThrough !== 'number' || !Array.isArray(c.held)) throw new TypeError('computeFeatures: bad cross state');
        refCloses.load(c.refCloses as [number, number][]);
        refThrough = c.refThrough;
        held.clear();
        for (const [sym, q] of c.held as [string, BarFlow[]][]) held.set(sym, q);
      }
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
    if (e.kind !== 'bar') {
      emit(e);
      return;
    }
    if (reference === undefined) {
      processBar(e, emit, undefined);
      return;
    }
    // Cross-symbol set. The rule that makes the output independent of which symbol's bar closed
    // first: a symbol's bars (all intervals, in their order) are processed only once the
    // reference's bars up to their end are all known, i.e. the reference's signal bar ending there
    // (or a later reference bar) has been seen; the reference's closes are therefore the same
    // whatever the arrival order. The output of each symbol keeps its order, only later.
    const { bar } = e;
    if (bar.symbol === reference) {
      if (bar.interval === signalInterval) refCloses.push([bar.end, bar.close]);
      // A finer bar ending at t closes before the signal bar ending at t: it proves only ends < t.
      const through = intervalMs(bar.interval) >= signalMs ? bar.end : bar.end - 1;
      if (through > refThrough) refThrough = through;
    }
    let q = held.get(bar.symbol);
    if (q === undefined) held.set(bar.symbol, (q = []));
    q.push({ bar, inputs: e.inputs });
    if (bar.symbol !== reference) {
      release(bar.symbol, q, emit);
      return;
    }
    // The reference moved: every symbol may go on, in symbol order (a fixed order, and the order
    // any subset of the symbols, e.g. one partition's, sees too).
    for (const sym of [...held.keys()].sort()) release(sym, held.get(sym) as BarFlow[], emit);
  });

  /** Processes the held bars of one symbol from the oldest, up to the first signal bar the reference has not passed. */
  function release(symbol: string, q: BarFlow[], emit: (f: Flow) => void): void {
    while (q.length > 0) {
      const head = q[0] as BarFlow;
      let ref: ReferenceCloses | null = refCloseAt;
      if (head.bar.interval === signalInterval && head.bar.end > refThrough) {
        // Waiting; past holdBars signal bars the oldest goes on without the reference.
        if (q.filter((f) => f.bar.interval === signalInterval).length <= holdBars) break;
        ref = null;
      }
      q.shift();
      processBar({ kind: 'bar', bar: head.bar, inputs: head.inputs }, emit, ref);
    }
    if (q.length === 0) held.delete(symbol);
  }

  function processBar(e: Extract<Flow, { kind: 'bar' }>, emit: (f: Flow) => void, ref: ReferenceCloses | null | undefined): void {
    emit(e);
    const { bar } = e;
    let state = perSymbol.get(bar.symbol);
    if (state === undefined) perSymbol.set(bar.symbol, (state = featureSet.create(bar.symbol)));
    state.onBar(bar);
    if (bar.interval !== signalInterval) return;
    const buf = chains.get(bar.symbol);
    const chainAsOf = (t: number): OptionChainSnapshot | null => (t > bar.end ? null : (buf?.asOf(t)?.snapshot ?? null));
    const features = ref === undefined ? state.vector(chainAsOf, bar.end) : state.vector(chainAsOf, bar.end, ref);
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
  }
}
