import { intervalMs } from '../schemas/index.ts';
import { PatternStatsEngine, patternsFeatureSet, type PatternStatsOptions, type PatternTableRow } from '../processors/features/patterns/index.ts';
import { coreFeatureSet } from '../processors/features/full/index.ts';
import { graphConfigFor } from '../processors/graph.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import type { SignalInterval } from '../processors/signal-interval.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import type { EventLog } from '../storage/log/event-log.ts';

export interface PatternTableResult {
  rows: (PatternTableRow & { symbol: string; interval: string })[];
  /** Symbols with bars in the log, sorted. */
  symbols: string[];
  /** Occurrences whose horizon bar never came (a gap), per symbol and interval. */
  dropped: number;
}

/**
 * Replays the log through the graph with the bar intervals of the patterns-v1 set at
 * `signalInterval` (the same bar building; core-v1 features, the cheapest set, ride along) and feeds every closed bar of `intervals` to a PatternStatsEngine per symbol and
 * interval, the class the features use: the table is the statistics as they stand after the last
 * bar. Rows in (symbol, interval finest first, the engine's order).
 */
export async function patternTable(opts: {
  log: EventLog;
  decode: TopicDecoder;
  signalInterval: SignalInterval;
  /** Which of the set's intervals to report (default: all of them). */
  intervals?: readonly string[];
  symbol?: string;
  options?: Partial<PatternStatsOptions>;
  onProgress?: (inputs: number) => void;
}): Promise<PatternTableResult> {
  const fs = patternsFeatureSet(opts.signalInterval, opts.options ?? {});
  const wanted = opts.intervals ?? fs.intervals;
  const o = { ...fs.statsOptions };
  const engines = new Map<string, PatternStatsEngine>();
  const symbols = new Set<string>();
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind !== 'bar') return;
      const { bar } = e;
      symbols.add(bar.symbol);
      if (!wanted.includes(bar.interval) || (opts.symbol !== undefined && bar.symbol !== opts.symbol)) return;
      const key = `${bar.symbol}\u0000${bar.interval}`;
      let engine = engines.get(key);
      if (engine === undefined) engines.set(key, (engine = new PatternStatsEngine(intervalMs(bar.interval), o)));
      engine.add(bar);
    },
  };
  await replayLog({ log: opts.log, decode: opts.decode, sinks: [sink], config: { ...graphConfigFor(fs), featureSet: coreFeatureSet(opts.signalInterval) }, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  const keys = [...engines.keys()].sort((a, b) => {
    const [sa, ia] = a.split('\u0000') as [string, string];
    const [sb, ib] = b.split('\u0000') as [string, string];
    return sa < sb ? -1 : sa > sb ? 1 : intervalMs(ia) - intervalMs(ib);
  });
  const rows: PatternTableResult['rows'] = [];
  let dropped = 0;
  for (const key of keys) {
    const [symbol, interval] = key.split('\u0000') as [string, string];
    const engine = engines.get(key) as PatternStatsEngine;
    dropped += engine.droppedOccurrences;
    for (const row of engine.table(interval)) rows.push({ symbol, interval, ...row });
  }
  return { rows, symbols: [...symbols].sort(), dropped };
}
