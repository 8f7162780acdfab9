import { hash } from 'node:crypto';
import type { OperatorFunction } from 'rxjs';
import type { Bar, Signal } from '../../schemas/index.ts';
import { checkFeatureSet } from '../check-feature-set.ts';
import { selectContract } from '../decision/contract.ts';
import { decidePolicy } from '../decision/policy.ts';
import type { StatePart, GraphStateRegistry } from '../checkpoint/state-registry.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import { decide, type SignalRuleConfig } from '../signal/signal-rule.ts';
import { topContributions } from '../signal/top-contributions.ts';
import type { Predictor, WindowScorer } from '../types.ts';
import { syncFlatMap } from './sync-flat-map.ts';

/**
 * Deterministic signal id: the same bar, model and feature set always give the same id. The first
 * 32 hex digits of SHA-256 of `symbol|barEnd|modelId|featureSetHash`, through Node's one-shot
 * `crypto.hash` (D139: no Hash object per signal; the same digest as createHash's).
 */
export function signalId(symbol: string, barEnd: number, modelId: string, featureSetHash: string): string {
  return hash('sha256', `${symbol}|${barEnd}|${modelId}|${featureSetHash}`, 'hex').slice(0, 32);
}

/** The class behind an action (the class whose probability is the signal's confidence). */
const ACTION_CLASS = { BUY: 0, HOLD: 1, SELL: 2 } as const;

/** How many contributions a signal carries. */
export const TOP_CONTRIBUTIONS = 3;

/**
 * FeatureVectors → model probabilities → Signal (after the vector). A vector with any feature
 * still warming up (null) gets no signal: absent, not guessed. A model with forward-return heads
 * fills expectedReturn and q10/q50/q90; a model that explains fills contributions with the three
 * features that contributed most to the class behind the action (by absolute value, ties by
 * feature name). A model with neither leaves the fields out, so the signal is the one a model
 * of before the heads gave (encoded, the fields take their Avro defaults null and []).
 */
export function infer(predictor: Predictor, rule: SignalRuleConfig, stats: GraphStats, state?: GraphStateRegistry): OperatorFunction<Flow, Flow> {
  const names = predictor.featureNames;
  const row = new Float64Array(names.length);
  const history = (predictor.window ?? 1) > 1 ? new SequenceHistory(predictor.window as number, names.length, predictor) : null;
  if (history !== null) state?.register('infer', history);
  // The policy prices its stop and target off the close of the vector's bar, which computeFeatures
  // emits right before the vector (same input, same frame): no state outlives that pair.
  let lastBar: Bar | null = null;
  return syncFlatMap<Flow, Flow>((e, emit) => {
    emit(e);
    if (e.kind === 'bar') lastBar = e.bar;
    if (e.kind !== 'features') return;
    const v = e.vector;
    checkFeatureSet(predictor, { hash: v.featureSetHash, id: v.featureSetId });
    for (let i = 0; i < names.length; i++) {
      const x = v.features[names[i] as string];
      if (x === null || x === undefined) return;
      row[i] = x;
    }
    // A sequence model scores the symbol's last `window` complete vectors; none until it has them.
    const probs = history === null ? predictor.predict(row) : history.push(`${v.symbol}|${v.interval}`, row);
    if (probs === null) return;
    const [pUp, pFlat, pDown] = probs;
    const { action, confidence } = decide(pUp, pFlat, pDown, rule);
    const signal: Signal = {
      id: signalId(v.symbol, v.barEnd, predictor.modelId, v.featureSetHash),
      tsEvent: v.barEnd,
      tsInit: v.tsInit,
      symbol: v.symbol,
      interval: v.interval,
      barEnd: v.barEnd,
      pUp,
      pFlat,
      pDown,
      action,
      confidence,
      modelId: predictor.modelId,
      featureSetHash: v.featureSetHash,
      inputs: e.inputs,
    };
    const heads = predictor.heads?.(row) ?? null;
    const policy = predictor.policy;
    if (policy !== undefined && rule.holdOnly !== true) {
      const bar = lastBar !== null && lastBar.symbol === v.symbol && lastBar.end === v.barEnd && lastBar.interval === v.interval ? lastBar : null;
      const atr = v.features['atr_14_pct'];
      const d = decidePolicy(policy, { pUp, pFlat, pDown, expectedReturn: heads?.expectedReturn ?? null, q10: heads?.q10 ?? null, q90: heads?.q90 ?? null }, { barEnd: v.barEnd, close: bar?.close ?? null, atrPct: atr ?? null });
      Object.assign(signal, { action: d.action, confidence: d.confidence, size: d.size, stop: d.stop, target: d.target, expiresAt: d.expiresAt, reason: d.reason });
      // The option contract, for a policy with a contract rule (older manifests have none: their
      // signals stay as recorded) on an underlying whose chain the features joined at bar end.
      // A trade on a symbol with a chain but no contract says why in `reason`.
      if (policy.contract !== undefined && e.chain !== undefined && e.chain !== null) {
        const c = selectContract(d.action, e.chain, v.barEnd, policy.contract);
        signal.contract = c.contract;
        if (c.contract === null && d.action !== 'HOLD') signal.reason = `no contract: ${c.reason}`;
      }
    }
    lastBar = null;
    // Contributions explain the class behind the final action (after the policy).
    const contributions = predictor.contributions?.(row, ACTION_CLASS[signal.action]) ?? null;
    if (heads !== null || contributions !== null) {
      signal.expectedReturn = heads?.expectedReturn ?? null;
      signal.q10 = heads?.q10 ?? null;
      signal.q50 = heads?.q50 ?? null;
      signal.q90 = heads?.q90 ?? null;
      signal.contributions = contributions === null ? [] : topContributions(contributions, names, TOP_CONTRIBUTIONS);
    }
    stats.signals++;
    emit({ kind: 'signal', signal });
  });
}

/**
 * The last `window` complete feature rows of each (symbol, interval), for a sequence model: graph
 * state (snapshot/restore as plain number arrays, keys sorted, so a snapshot is a function of the
 * inputs alone). A restored or rebuilt graph gives the same windows as one that never stopped.
 * A predictor that scores incrementally (openWindow, D76) gets one scorer per key, fed each row
 * as it comes; its state is a function of the key's last `window` rows, so the snapshot holds the
 * rows alone and restore rebuilds each scorer by feeding them again (the same sums, the same bits).
 * Otherwise the window is concatenated and scored whole.
 */
export class SequenceHistory implements StatePart {
  private readonly rows = new Map<string, number[][]>();
  private readonly scorers = new Map<string, WindowScorer>();
  private readonly out: Float64Array;
  private readonly step: Float64Array;

  constructor(
    readonly window: number,
    readonly dim: number,
    private readonly predictor: Pick<Predictor, 'predict' | 'openWindow'>,
  ) {
    this.out = new Float64Array(window * dim);
    this.step = new Float64Array(dim);
  }

  /** Appends the row; returns the probabilities of the key's window once `window` rows are in, else null. */
  push(key: string, row: Float64Array): [number, number, number] | null {
    let h = this.rows.get(key);
    if (h === undefined) this.rows.set(key, (h = []));
    h.push(Array.from(row));
    if (h.length > this.window) h.shift();
    const scorer = this.scorerOf(key);
    if (scorer !== null) return scorer.push(row) ? scorer.predict() : null;
    if (h.length < this.window) return null;
    for (let k = 0; k < this.window; k++) this.out.set(h[k] as number[], k * this.dim);
    return this.predictor.predict(this.out);
  }

  private scorerOf(key: string): WindowScorer | null {
    let s = this.scorers.get(key);
    if (s === undefined) {
      const opened = this.predictor.openWindow?.() ?? null;
      if (opened === null) return null;
      this.scorers.set(key, (s = opened));
    }
    return s;
  }

  snapshot(): unknown {
    const keys = [...this.rows.keys()].sort();
    return { window: this.window, dim: this.dim, rows: keys.map((k) => [k, this.rows.get(k)]) };
  }

  restore(state: unknown): void {
    const s = state as { window?: unknown; dim?: unknown; rows?: unknown } | null;
    if (s === null || typeof s !== 'object' || s.window !== this.window || s.dim !== this.dim || !Array.isArray(s.rows)) {
      throw new TypeError(`infer state: expected windows of ${this.window} x ${this.dim}`);
    }
    this.rows.clear();
    this.scorers.clear();
    for (const [k, rows] of s.rows as [string, number[][]][]) {
      this.rows.set(k, rows.map((r) => [...r]));
      const scorer = this.scorerOf(k);
      if (scorer === null) continue;
      for (const r of rows) {
        if (r.length !== this.dim) throw new TypeError(`infer state: a row of ${k} has ${r.length} values, expected ${this.dim}`);
        this.step.set(r);
        scorer.push(this.step);
      }
    }
  }
}
