import type { OperatorFunction } from 'rxjs';
import { BarAggregator, type BarAggregatorConfig, type TradeResult } from '../bars/bar-aggregator.ts';
import { CoarseCandleError } from '../bars/coarse-candle-error.ts';
import type { GraphStateRegistry } from '../checkpoint/state-registry.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import { intervalMs } from '../../schemas/index.ts';
import { syncFlatMap } from './sync-flat-map.ts';

/**
 * Trades and imported candles → closed bars (all configured intervals) and late events; other events pass.
 * A candle longer than `signalIntervalMs` throws CoarseCandleError: no signal bar can come of it.
 */
export function buildBars(config: BarAggregatorConfig, stats: GraphStats, state?: GraphStateRegistry, signalIntervalMs = Number.POSITIVE_INFINITY): OperatorFunction<Flow, Flow> {
  const agg = new BarAggregator(config);
  // Symbols with trades or candles. An underlying without them is priced by its chains' spot: a
  // symbol whose first input is a chain has no price stream of its own, so (until trades or
  // candles arrive for it) each snapshot's spot is its price.
  const traded = new Set<string>();
  // The symbol of the previous trade, known to be in `traded` (most trades need no set lookup).
  let lastTraded: string | null = null;
  // Checkpoints (processors/checkpoint): the aggregator and the traded set are the whole state.
  state?.register('bars', {
    snapshot: () => ({ agg: agg.snapshot(), traded: [...traded] }),
    restore: (raw) => {
      const s = raw as { agg?: unknown; traded?: unknown } | null;
      if (s === null || typeof s !== 'object' || !isStrings(s.traded)) throw new TypeError('buildBars: bad state');
      agg.restore(s.agg);
      traded.clear();
      lastTraded = null;
      for (const x of s.traded) traded.add(x);
    },
  });
  return syncFlatMap<Flow, Flow>((e, emit) => {
    // Trades first: nearly every input is one.
    if (e.kind === 'trade') {
      const t = e.value;
      if (t.symbol !== lastTraded) {
        traded.add(t.symbol);
        lastTraded = t.symbol;
      }
      const r = agg.onTrade(t, e.pos);
      if (r.late !== null || r.closed.length > 0) emitResults(r.closed, r.late, emit);
      return;
    }
    if (e.kind === 'chain') {
      const u = e.value.underlying;
      if (!traded.has(u)) {
        const { closed, late } = agg.onPrice(u, e.value.tsEvent, e.value.tsInit, e.value.spot, e.pos);
        emitResults(closed, late, emit);
      }
      emit(e);
      return;
    }
    if (e.kind !== 'candle') {
      emit(e);
      return;
    }
    const sym = e.value.symbol;
    if (e.value.end - e.value.start > signalIntervalMs) {
      throw new CoarseCandleError(sym, e.value.interval, config.intervals.find((i) => intervalMs(i) === signalIntervalMs) ?? `${signalIntervalMs} ms`);
    }
    traded.add(sym);
    lastTraded = sym;
    const { closed, late } = agg.onCandle(e.value, e.pos);
    emitResults(closed, late, emit);
  });

  function emitResults(closed: TradeResult['closed'], late: TradeResult['late'], emit: (f: Flow) => void): void {
    if (late !== null) {
      stats.late++;
      emit({ kind: 'late', late });
    }
    for (const c of closed) {
      stats.bars++;
      emit({ kind: 'bar', bar: c.bar, inputs: c.inputs });
    }
  }
}

function isStrings(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'string');
}
