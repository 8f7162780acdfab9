import { type Observable } from 'rxjs';
import type { BarAggregatorConfig } from './bars/bar-aggregator.ts';
import { DEFAULT_BAR_CONFIG } from './bars/bar-aggregator.ts';
import type { GraphEvent, GraphStats } from './graph-events.ts';
import { buildBars } from './operators/build-bars.ts';
import { computeFeatures } from './operators/compute-features.ts';
import { infer } from './operators/infer.ts';
import { validateInputs } from './operators/validate-inputs.ts';
import { DEFAULT_SIGNAL_RULE, type SignalRuleConfig } from './signal/signal-rule.ts';
import type { InputEvent, Predictor } from './types.ts';

export interface GraphConfig {
  bars: BarAggregatorConfig;
  /** Bars of this interval get features and signals. */
  signalInterval: string;
  rule: SignalRuleConfig;
}

export const DEFAULT_GRAPH_CONFIG: GraphConfig = { bars: DEFAULT_BAR_CONFIG, signalInterval: '5m', rule: DEFAULT_SIGNAL_RULE };

/** A wall or virtual clock. The graph never reads it for logic: hosts use it to measure lag. */
export interface Clock {
  readonly kind: 'live' | 'virtual';
  now(): number;
}

/**
 * THE processing graph, used by live and replay alike: validate → bars (1m, 5m) → features
 * (as-of chain join) → model → signal. Pure and synchronous: the same input sequence gives the
 * same output sequence, whatever the host, speed or batching.
 */
export function buildGraph(
  input$: Observable<InputEvent>,
  deps: { stats: GraphStats; predictor?: Predictor | null; config?: GraphConfig },
): Observable<GraphEvent> {
  const cfg = deps.config ?? DEFAULT_GRAPH_CONFIG;
  const withFeatures = input$.pipe(validateInputs(deps.stats), buildBars(cfg.bars, deps.stats), computeFeatures(cfg.signalInterval, deps.stats));
  const out = deps.predictor ? withFeatures.pipe(infer(deps.predictor, cfg.rule, deps.stats)) : withFeatures;
  // Inputs are consumed by the operators above; only outputs remain.
  return out as Observable<GraphEvent>;
}

/** Where the graph's outputs go. Called synchronously, in output order. */
export interface PipelineSink {
  onEvent(event: GraphEvent, clock: Clock): void;
}

/**
 * Runs the graph from a clock, a source and sinks: the one function both hosts call (live: log
 * follower + live clock; replay: log reader + virtual clock). Returns a promise that settles when
 * the source completes.
 */
export function runPipeline(args: {
  clock: Clock;
  source: Observable<InputEvent>;
  sinks: readonly PipelineSink[];
  stats: GraphStats;
  predictor?: Predictor | null;
  config?: GraphConfig;
}): Promise<GraphStats> {
  const graph = buildGraph(args.source, { stats: args.stats, predictor: args.predictor ?? null, ...(args.config ? { config: args.config } : {}) });
  return new Promise((resolve, reject) => {
    graph.subscribe({
      next: (e) => {
        for (const s of args.sinks) s.onEvent(e, args.clock);
      },
      error: reject,
      complete: () => resolve(args.stats),
    });
  });
}
