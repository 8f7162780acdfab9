import { map, merge, Observable, Subject } from 'rxjs';
import type { Signal } from '../../schemas/index.ts';
import { GraphStateRegistry, type StatePart } from '../checkpoint/state-registry.ts';
import type { GraphEvent } from '../graph-events.ts';
import { signalId } from '../operators/infer.ts';
import { syncFlatMap } from '../operators/sync-flat-map.ts';
import type { SignalRuleConfig } from '../signal/signal-rule.ts';
import type { InputEvent } from '../types.ts';
import type { ConfluenceModel } from './confluence-model.ts';
import { fuseTimeframes, type TimeframeInput } from './fuse.ts';
import { TimeframeViews } from './timeframe-views.ts';

/** Registers a member sub-graph's state parts under a prefix, so several graphs share one registry. */
class PrefixedRegistry extends GraphStateRegistry {
  constructor(
    private readonly parent: GraphStateRegistry,
    private readonly prefix: string,
  ) {
    super();
  }

  override register(name: string, part: StatePart): void {
    this.parent.register(`${this.prefix}${name}`, part);
  }
}

/** Builds one member's single-timeframe graph (buildGraph with that member's model and config). */
export type MemberGraph = (input$: Observable<InputEvent>, member: number, state: GraphStateRegistry | undefined) => Observable<GraphEvent>;

/**
 * The confluence graph: the same inputs go to one sub-graph per timeframe (each exactly the graph
 * that timeframe's model runs in alone), and their signals are fused at every base (first member)
 * signal. Deterministic by construction: one Subject feeds the sub-graphs synchronously in a fixed
 * order, higher timeframes first, so on an input that closes bars of several timeframes the higher
 * ones' signals are stored before the base signal is fused; TimeframeViews then takes only views
 * whose bar closed at or before the base bar end. The output is the base graph's events with each
 * base signal replaced by the fused one (higher timeframes' bars, features and health are not
 * emitted; their signals are inside the fused one). State: member j's parts are registered as
 * `tf<j>:<part>`, the views as `confluence`.
 */
export function confluenceGraph(input$: Observable<InputEvent>, model: ConfluenceModel, rule: SignalRuleConfig, build: MemberGraph, state?: GraphStateRegistry): Observable<GraphEvent> {
  const { members, weights, k } = model.confluence;
  const subject = new Subject<InputEvent>();
  const shared = subject.asObservable();
  const views = new TimeframeViews();
  state?.register('confluence', views);
  const higher = members.slice(1).map((_, i) => build(shared, i + 1, state ? new PrefixedRegistry(state, `tf${i + 1}:`) : undefined).pipe(map((e) => ({ src: i + 1, e }))));
  const base = build(shared, 0, state).pipe(map((e) => ({ src: 0, e })));
  const cfg = { weights, k, rule };
  const fused = merge(...higher, base).pipe(
    syncFlatMap<{ src: number; e: GraphEvent }, GraphEvent>(({ src, e }, emit) => {
      if (src !== 0) {
        if (e.kind === 'signal') views.push(src, e.signal.symbol, { barEnd: e.signal.barEnd, pUp: e.signal.pUp, pFlat: e.signal.pFlat, pDown: e.signal.pDown, inputs: e.signal.inputs });
        return;
      }
      if (e.kind !== 'signal') {
        emit(e);
        return;
      }
      const s = e.signal;
      const inputs: TimeframeInput[] = members.map((m, j) => ({
        interval: m.interval,
        modelId: m.predictor.modelId,
        view: j === 0 ? { barEnd: s.barEnd, pUp: s.pUp, pFlat: s.pFlat, pDown: s.pDown } : views.at(j, s.symbol, s.barEnd),
      }));
      const f = fuseTimeframes(inputs, cfg);
      const lineage = [...s.inputs];
      for (let j = 1; j < members.length; j++) {
        const v = views.at(j, s.symbol, s.barEnd);
        if (v !== null) lineage.push(...v.inputs);
      }
      const out: Signal = {
        id: signalId(s.symbol, s.barEnd, model.modelId, s.featureSetHash),
        tsEvent: s.tsEvent,
        tsInit: s.tsInit,
        symbol: s.symbol,
        interval: s.interval,
        barEnd: s.barEnd,
        pUp: f.pUp,
        pFlat: f.pFlat,
        pDown: f.pDown,
        action: f.action,
        confidence: f.confidence,
        modelId: model.modelId,
        featureSetHash: s.featureSetHash,
        inputs: lineage,
        ...(f.reason === null ? {} : { reason: f.reason }),
        timeframes: f.timeframes,
      };
      emit({ kind: 'signal', signal: out });
    }),
  );
  return new Observable<GraphEvent>((subscriber) => {
    const sub = fused.subscribe(subscriber);
    sub.add(input$.subscribe(subject));
    return sub;
  });
}
