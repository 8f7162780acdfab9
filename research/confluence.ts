import { blockBootstrap, blockLengthForHorizon, type Interval } from '../model/evaluation/block-bootstrap.ts';
import { fitFusionWeights, type WeightFit } from '../model/confluence/fit-weights.ts';
import type { ConfluenceModel } from '../processors/confluence/confluence-model.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import { featureSetByHash, graphConfigFor } from '../processors/graph.ts';
import { classify, labelConfigFor } from '../processors/labels.ts';
import { binaryAuc } from '../processors/math/auc.ts';
import { decide, DEFAULT_SIGNAL_RULE, type SignalRuleConfig } from '../processors/signal/signal-rule.ts';
import { intervalMs, type Action } from '../schemas/index.ts';
import type { EventLog } from '../storage/log/event-log.ts';
import type { TopicDecoder } from '../hosts/merged-reader.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';

/** One base bar end with a fused signal and a known label (its horizon bar exists in the log). */
export interface ConfluenceRow {
  symbol: string;
  barEnd: number;
  /** Forward log return from this bar's close to the close `horizonBars` base bars later. */
  forward: number;
  label: 0 | 1 | 2;
  fused: { pUp: number; pDown: number; action: Action };
  /** Per member (bundle order): its as-of view's probabilities, or null. */
  views: ({ pUp: number; pFlat: number; pDown: number; logOdds: number } | null)[];
}

/**
 * Replays the log through the bundle (the graph of `replay`/`start`, so the views are the ones a live
 * run would have had) and labels each fused signal with the base interval's label rule (the
 * dataset's: direction of the forward log return over horizonBars, FLAT band). Rows in barEnd, then
 * symbol order. The labels are known only in replay.
 */
export async function confluenceRows(opts: { log: EventLog; decode: TopicDecoder; model: ConfluenceModel; onProgress?: (n: number) => void }): Promise<{ rows: ConfluenceRow[]; horizonMs: number; unlabeled: number }> {
  const config = graphConfigFor(featureSetByHash(opts.model.featureSetHash));
  const step = intervalMs(config.signalInterval);
  const label = labelConfigFor(step);
  const horizonMs = label.horizonBars * step;
  const closes = new Map<string, number>();
  const pending: Omit<ConfluenceRow, 'forward' | 'label'>[] = [];
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'bar' && e.bar.interval === config.signalInterval) closes.set(`${e.bar.symbol}|${e.bar.end}`, e.bar.close);
      else if (e.kind === 'signal') {
        const s = e.signal;
        pending.push({
          symbol: s.symbol, barEnd: s.barEnd, fused: { pUp: s.pUp, pDown: s.pDown, action: s.action },
          views: (s.timeframes ?? []).map((t) => (t.pUp === null || t.pFlat === null || t.pDown === null || t.logOdds === null ? null : { pUp: t.pUp, pFlat: t.pFlat, pDown: t.pDown, logOdds: t.logOdds })),
        });
      }
    },
  };
  await replayLog({ log: opts.log, decode: opts.decode, sinks: [sink], predictor: opts.model, config, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  const rows: ConfluenceRow[] = [];
  let unlabeled = 0;
  for (const p of pending) {
    const c0 = closes.get(`${p.symbol}|${p.barEnd}`);
    const c1 = closes.get(`${p.symbol}|${p.barEnd + horizonMs}`);
    if (c0 === undefined || c1 === undefined) {
      unlabeled++;
      continue;
    }
    const forward = Math.log(c1 / c0);
    rows.push({ ...p, forward, label: classify(forward, label.flatBand) });
  }
  rows.sort((a, b) => a.barEnd - b.barEnd || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return { rows, horizonMs, unlabeled };
}

/** Learned weights: logistic regression of UP vs DOWN on the members' log-odds, rows from <= barEnd < to. */
export function learnWeights(rows: readonly ConfluenceRow[], members: number, from: number, to: number, l2 = 1): WeightFit {
  const fit = rows.filter((r) => r.barEnd >= from && r.barEnd < to && r.label !== 1);
  return fitFusionWeights(
    fit.map((r) => Array.from({ length: members }, (_, j) => r.views[j]?.logOdds ?? 0)),
    fit.map((r) => r.label === 0),
    { l2 },
  );
}

export interface SourceEvaluation {
  /** 'fused' or a member's interval. */
  source: string;
  /** AUC of the directional log-odds for UP vs DOWN rows (FLAT rows out; a missing view scores 0). */
  auc: Interval;
  /** BUY/SELL decisions (the signal rule; the fused one with its agreement requirement). */
  trades: number;
  /** Share of BUY/SELL whose forward return has their sign. */
  hitRate: Interval;
  /**
   * Sum over the rows of direction x forward log return (0 for HOLD), minus costBps per BUY/SELL:
   * each decision held for the label horizon, positions overlapping; a signal-level return, not
   * the position-level backtest (replay backtest).
   */
  signalReturn: Interval;
}

export interface ConfluenceEvaluation {
  from: number;
  to: number;
  rows: number;
  /** Baselines on the same rows: share of UP among UP/DOWN labels; always long (sum of forward returns). */
  baseline: { upShare: number | null; alwaysLong: number };
  sources: SourceEvaluation[];
}

const DIR: Record<Action, number> = { BUY: 1, SELL: -1, HOLD: 0 };

/**
 * The fused decision against each single timeframe on the same rows (the same out-of-sample base
 * bar ends): each timeframe's view as of the base bar end, decided by the same signal rule. CIs by
 * the circular block bootstrap (model/evaluation) with blocks spanning the label horizon.
 */
export function evaluateConfluence(rows: readonly ConfluenceRow[], intervals: readonly string[], window: { from: number; to: number; horizonMs: number; costBps?: number; rule?: SignalRuleConfig; seed?: number; replicates?: number }): ConfluenceEvaluation {
  const rule = window.rule ?? DEFAULT_SIGNAL_RULE;
  const cost = (window.costBps ?? 0) / 10_000;
  const r = rows.filter((x) => x.barEnd >= window.from && x.barEnd < window.to);
  const blockLength = r.length === 0 ? 1 : blockLengthForHorizon(r.map((x) => x.barEnd), window.horizonMs);
  const boot = { blockLength, replicates: window.replicates ?? 1000, seed: window.seed ?? 1 };
  const directional = r.filter((x) => x.label !== 1);
  const up = directional.map((x) => x.label === 0);
  const evaluate = (source: string, score: (x: ConfluenceRow) => number, action: (x: ConfluenceRow) => Action): SourceEvaluation => {
    const scores = directional.map(score);
    const dirs = r.map((x) => DIR[action(x)]);
    const auc = blockBootstrap(directional.length, (idx) => binaryAuc(Array.from(idx, (i) => scores[i] as number), Array.from(idx, (i) => up[i] as boolean)), boot);
    const hitRate = blockBootstrap(r.length, (idx) => {
      let n = 0;
      let hit = 0;
      for (const i of idx) {
        const d = dirs[i] as number;
        if (d === 0) continue;
        n++;
        if (d * (r[i] as ConfluenceRow).forward > 0) hit++;
      }
      return n === 0 ? null : hit / n;
    }, boot);
    const signalReturn = blockBootstrap(r.length, (idx) => {
      let s = 0;
      for (const i of idx) {
        const d = dirs[i] as number;
        if (d !== 0) s += d * (r[i] as ConfluenceRow).forward - cost;
      }
      return s;
    }, boot);
    return { source, auc, trades: dirs.filter((d) => d !== 0).length, hitRate, signalReturn };
  };
  const sources = [evaluate('fused', (x) => Math.log(x.fused.pUp / x.fused.pDown), (x) => x.fused.action)];
  intervals.forEach((interval, j) => {
    sources.push(evaluate(interval, (x) => x.views[j]?.logOdds ?? 0, (x) => {
      const v = x.views[j];
      return v === null || v === undefined ? 'HOLD' : decide(v.pUp, v.pFlat, v.pDown, rule).action;
    }));
  });
  let alwaysLong = 0;
  for (const x of r) alwaysLong += x.forward;
  return { from: window.from, to: window.to, rows: r.length, baseline: { upShare: directional.length === 0 ? null : up.filter(Boolean).length / directional.length, alwaysLong }, sources };
}
