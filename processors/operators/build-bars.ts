import type { OperatorFunction } from 'rxjs';
import { BarAggregator, type BarAggregatorConfig } from '../bars/bar-aggregator.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import { syncFlatMap } from './sync-flat-map.ts';

/** Trades and imported candles → closed bars (all configured intervals) and late events; other events pass. */
export function buildBars(config: BarAggregatorConfig, stats: GraphStats): OperatorFunction<Flow, Flow> {
  const agg = new BarAggregator(config);
  return syncFlatMap<Flow, Flow>((e, emit) => {
    if (e.kind !== 'trade' && e.kind !== 'candle') {
      emit(e);
      return;
    }
    const { closed, late } = e.kind === 'trade' ? agg.onTrade(e.value, e.pos) : agg.onCandle(e.value, e.pos);
    if (late !== null) {
      stats.late++;
      emit({ kind: 'late', late });
    }
    for (const c of closed) {
      stats.bars++;
      emit({ kind: 'bar', bar: c.bar, inputs: c.inputs });
    }
  });
}
