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
  // Checkpoints (processors/checkpoint): the aggregator and the traded set are the whole state.
  state?.register('bars', {
    snapshot: () => ({ agg: agg.snapshot(), traded: [...traded] }),
    restore: (raw) => {
      const s = raw as { agg?: unknown; traded?: unknown } | null;
      if (s === null || typeof s !== 'object' || !isStrings(s.traded)) throw new TypeError('buildBars: bad state');
      agg.restore(s.agg);
      traded.clear();
      for (const x of s.traded) traded.add(x);
    },
  });
  return syncFlatMap<Flow, Flow>((e, emit) => {
    if (e.kind === 'chain') {
      const u = e.value.underlying;
      if (!traded.has(u)) {
        const { closed, late } = agg.onPrice(u, e.value.tsEvent, e.value.tsInit, e.value.spot, e.pos);
        emitResults(closed, late, emit);
      }
      emit(e);
      return;
    }
    if (e.kind !== 'trade' && e.kind !== 'candle') {
      emit(e);
      return;
    }
    const sym = e.value.symbol;
    if (e.kind === 'candle' && e.value.end - e.value.start > signalIntervalMs) {
      throw new CoarseCandleError(sym, e.value.interval, config.intervals.find((i) => intervalMs(i) === signalIntervalMs) ?? `${signalIntervalMs} ms`);
    }
    traded.add(sym);
    const { closed, late } = e.kind === 'trade' ? agg.onTrade(e.value, e.pos) : agg.onCandle(e.value, e.pos);
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
