import { map, type Observable } from 'rxjs';
import { intervalMs } from '../schemas/index.ts';
import type { BarAggregatorConfig } from './bars/bar-aggregator.ts';
import { checkFeatureSet } from './check-feature-set.ts';
import type { GraphStateRegistry } from './checkpoint/state-registry.ts';
import { DEFAULT_BAR_CONFIG } from './bars/bar-aggregator.ts';
import { CORE_FEATURE_SET, CORE_V2_FEATURE_SET, coreFeatureSet, coreV2FeatureSet, FULL_FEATURE_SET, fullFeatureSet, type FeatureSetDef } from './features/full/index.ts';
import { CROSS_FEATURE_SET, crossFeatureSet, DEFAULT_REFERENCE } from './features/cross/index.ts';
import { PATTERNS_FEATURE_SET, patternsFeatureSet } from './features/patterns/index.ts';
import { newGraphStats, type GraphEvent, type GraphStats } from './graph-events.ts';
import { confluenceGraph } from './confluence/confluence-graph.ts';
import { isConfluence, type ConfluenceMember } from './confluence/confluence-model.ts';
import { buildBars } from './operators/build-bars.ts';
import { computeFeatures } from './operators/compute-features.ts';
import { infer } from './operators/infer.ts';
import { modelHealth } from './health/model-health.ts';
import { validateInputs } from './operators/validate-inputs.ts';
import { DEFAULT_SIGNAL_RULE, type SignalRuleConfig } from './signal/signal-rule.ts';
import { SIGNAL_INTERVALS, type SignalInterval } from './signal-interval.ts';
import type { InputEvent, Predictor } from './types.ts';

export interface GraphConfig {
  /** Bar intervals: at least the feature set's (see graphConfigFor). */
  bars: BarAggregatorConfig;
  featureSet: FeatureSetDef;
  /** Bars of this interval get features and signals. */
  signalInterval: string;
  rule: SignalRuleConfig;
}

export const DEFAULT_GRAPH_CONFIG: GraphConfig = graphConfigFor(CORE_FEATURE_SET);

/** The graph configuration for a feature set: its bar intervals, signals on its signal interval. */
export function graphConfigFor(featureSet: FeatureSetDef, rule: SignalRuleConfig = DEFAULT_SIGNAL_RULE): GraphConfig {
  return { bars: { ...DEFAULT_BAR_CONFIG, intervals: featureSet.intervals }, featureSet, signalInterval: featureSet.signalInterval, rule };
}

/** Feature sets a model can be trained on, at the default 5-minute signal interval. */
export const FEATURE_SETS: readonly FeatureSetDef[] = [CORE_FEATURE_SET, CORE_V2_FEATURE_SET, FULL_FEATURE_SET, PATTERNS_FEATURE_SET, CROSS_FEATURE_SET];

/**
 * References a cross-v1 model is found by (featureSetByHash) in any process: the crypto and the
 * US equity market's, and the synthetic market's BTC. A set against another reference is known
 * once featureSetById has made it in the process (e.g. `--feature-set cross:QQQ`).
 */
export const KNOWN_REFERENCES: readonly string[] = [DEFAULT_REFERENCE, 'BTC', 'SPY'];

// Order matters to featureSetById: a family name (`core`) is the first set of that family here.
const FACTORIES: readonly ((i: SignalInterval) => FeatureSetDef)[] = [
  coreFeatureSet,
  coreV2FeatureSet,
  (i) => fullFeatureSet({ signalInterval: i }),
  (i) => patternsFeatureSet(i),
  ...KNOWN_REFERENCES.map((reference) => (i: SignalInterval) => crossFeatureSet(i, { reference })),
];
let everyInterval: readonly FeatureSetDef[] | null = null;
const madeCross: FeatureSetDef[] = [];

/** Every feature set at every signal interval (built once, on first use), then the cross sets made on request. */
function allFeatureSets(): readonly FeatureSetDef[] {
  everyInterval ??= SIGNAL_INTERVALS.flatMap((i) => FACTORIES.map((f) => f(i)));
  return madeCross.length === 0 ? everyInterval : [...everyInterval, ...madeCross];
}

/** The feature set with this hash, at whatever signal interval (a model names the one it was trained on). */
export function featureSetByHash(hash: string): FeatureSetDef {
  const f = FEATURE_SETS.find((s) => s.hash === hash) ?? allFeatureSets().find((s) => s.hash === hash);
  if (!f) throw new Error(`no feature set with hash ${hash} (known: ${FEATURE_SETS.map((s) => `${s.id}=${s.hash.slice(0, 12)}`).join(', ')}, and the same at other intervals)`);
  return f;
}

/**
 * A feature set by id (`core`, `full`, `patterns`, `cross`, `core-v1`, ...) at a signal interval
 * (default 5m); `cross:<symbol>` is cross-v1 against that reference (default BTCUSDT).
 */
export function featureSetById(id: string, signalInterval: SignalInterval = '5m'): FeatureSetDef {
  const withRef = /^cross(?:-v1)?:(.+)$/.exec(id);
  if (withRef !== null) {
    const reference = withRef[1] as string;
    const known = allFeatureSets().find((s) => s.signalInterval === signalInterval && s.reference === reference);
    if (known) return known;
    const made = crossFeatureSet(signalInterval, { reference });
    madeCross.push(made);
    return made;
  }
  const f = allFeatureSets().find((s) => s.signalInterval === signalInterval && (s.id === id || s.id.startsWith(`${id}-`)));
  if (!f) throw new Error(`unknown feature set ${JSON.stringify(id)} (known: ${FEATURE_SETS.map((s) => s.id).join(', ')})`);
  return f;
}

/** A wall or virtual clock. The graph never reads it for logic: hosts use it to measure lag. */
export interface Clock {
  readonly kind: 'live' | 'virtual';
  now(): number;
}

/**
 * THE processing graph, used by live and replay alike: validate → bars (1m, 5m) → features
 * (as-of chain join) → model → signal; with a confluence bundle, one such graph per timeframe,
 * their signals fused (processors/confluence). Pure and synchronous: the same input sequence gives the
 * same output sequence, whatever the host, speed or batching.
 */
export function buildGraph(
  input$: Observable<InputEvent>,
  deps: {
    stats: GraphStats;
    predictor?: Predictor | null;
    config?: GraphConfig;
    state?: GraphStateRegistry;
    /**
     * Features events keep the chain joined at their bar end (default false: dropped). For a
     * consumer that scores the vectors itself, as the graph's infer would (walk-forward), and
     * uses each chain as it passes instead of keeping them.
     */
    keepChains?: boolean;
  },
): Observable<GraphEvent> {
  const cfg = deps.config ?? DEFAULT_GRAPH_CONFIG;
  const p = deps.predictor ?? null;
  if (!isConfluence(p)) return singleGraph(input$, deps.stats, p, cfg, deps.state, deps.keepChains ?? false);
  // A confluence bundle: one sub-graph per timeframe (the base one is this config's), fused.
  checkFeatureSet(p, cfg.featureSet);
  const members = p.confluence.members;
  return confluenceGraph(
    input$,
    p,
    cfg.rule,
    (src$, j, state) => {
      const m = members[j] as ConfluenceMember;
      if (j === 0) return singleGraph(src$, deps.stats, m.predictor, cfg, state);
      const own = graphConfigFor(featureSetByHash(m.predictor.featureSetHash), cfg.rule);
      return singleGraph(src$, newGraphStats(), m.predictor, { ...own, bars: { ...cfg.bars, intervals: own.bars.intervals } }, state);
    },
    deps.state,
  );
}

/** The graph of one model (or none) on one signal interval. */
function singleGraph(input$: Observable<InputEvent>, stats: GraphStats, p: Predictor | null, cfg: GraphConfig, st: GraphStateRegistry | undefined, keepChains = false): Observable<GraphEvent> {
  // Refused up front: a model never scores features it was not trained on.
  if (p) checkFeatureSet(p, cfg.featureSet);
  // `state` (checkpoints): the stateful operators register their state there. validateInputs holds
  // none beyond the stats counters, which the checkpoint code snapshots itself; infer holds the
  // last feature rows per symbol for a sequence model only.
  const withFeatures = input$.pipe(validateInputs(stats), buildBars(cfg.bars, stats, st, intervalMs(cfg.signalInterval)), computeFeatures(cfg.featureSet, cfg.signalInterval, stats, st));
  const scored = p ? withFeatures.pipe(infer(p, cfg.rule, stats, st)) : withFeatures;
  // Model health (drift, live hit rate) when the model carries its training and holdout figures.
  const out = p?.health ? scored.pipe(modelHealth(p.modelId, p.featureNames, p.health, cfg.signalInterval, st)) : scored;
  // Inputs are consumed by the operators above; only outputs remain. The chain a features event
  // carries to infer (for the signal's option contract) ends here: the graph's outputs are what
  // they were, and a consumer that keeps vectors does not keep the chains with them (unless it
  // asks for them: keepChains).
  if (keepChains) return out as Observable<GraphEvent>;
  return (out as Observable<GraphEvent>).pipe(map((e) => (e.kind === 'features' && e.chain !== undefined ? { kind: 'features', vector: e.vector, inputs: e.inputs } : e)));
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
  /** Registry for the graph's state (checkpoints); see processors/checkpoint. */
  state?: GraphStateRegistry;
  /** Features events keep their chain (buildGraph's keepChains). */
  keepChains?: boolean;
}): Promise<GraphStats> {
  const graph = buildGraph(args.source, {
    stats: args.stats,
    predictor: args.predictor ?? null,
    ...(args.config ? { config: args.config } : {}),
    ...(args.state ? { state: args.state } : {}),
    ...(args.keepChains === true ? { keepChains: true } : {}),
  });
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
