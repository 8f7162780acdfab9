import type { Bar, Signal } from '../schemas/index.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import type { Predictor } from '../processors/types.ts';
import type { EventLog } from '../storage/log/event-log.ts';
import { runBacktest, type BacktestConfig, type BacktestReport, type TrialStats } from './backtest/index.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { featureSetByHash, graphConfigFor } from '../processors/graph.ts';

/**
 * Replays the log with a model and backtests the signals it produces against the signal-interval
 * bars of the same replay. Bars and signals are small (one per symbol per 5 minutes), so they are
 * collected; the trades behind them stream.
 */
export async function replayBacktest(opts: {
  log: EventLog;
  decode: TopicDecoder;
  predictor: Predictor;
  config?: Partial<BacktestConfig>;
  /** Only signals with from <= barEnd < to are traded (bars of the whole log still price them). */
  from?: number;
  to?: number;
  /** Trials behind the model, for the deflated Sharpe. */
  trials?: TrialStats | null;
  onProgress?: (inputs: number) => void;
}): Promise<{ report: BacktestReport; bars: number; signals: Signal[] }> {
  const config = graphConfigFor(featureSetByHash(opts.predictor.featureSetHash));
  const interval = config.signalInterval;
  const bars: Bar[] = [];
  const signals: Signal[] = [];
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'bar' && e.bar.interval === interval) bars.push(e.bar);
      else if (e.kind === 'signal') signals.push(e.signal);
    },
  };
  await replayLog({ log: opts.log, decode: opts.decode, sinks: [sink], predictor: opts.predictor, config, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  const window = { ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}) };
  const report = runBacktest({ bars, signals, window, trials: opts.trials ?? null, ...(opts.config ? { config: opts.config } : {}) });
  return { report, bars: bars.length, signals };
}
