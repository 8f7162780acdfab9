import type { OperatorFunction } from 'rxjs';
import { intervalMs, type HealthBand, type ModelHealth, type Signal } from '../../schemas/index.ts';
import type { GraphStateRegistry } from '../checkpoint/state-registry.ts';
import type { Flow } from '../graph-events.ts';
import { classify } from '../labels.ts';
import { wilsonInterval } from '../math/wilson.ts';
import { syncFlatMap } from '../operators/sync-flat-map.ts';

/** Proportions are floored at this in the PSI, so an empty bin does not give an infinite value. */
export const PSI_FLOOR = 1e-4;

/**
 * Population stability index (Siddiqi, "Credit Risk Scorecards", 2006): sum over bins of
 * (a - e) ln(a / e), e the training and a the recent bin frequencies. < 0.1 stable, 0.1-0.25 some
 * shift, > 0.25 a major shift.
 */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(PSI_FLOOR, expected[i] as number);
    const a = Math.max(PSI_FLOOR, actual[i] ?? 0);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/** Bin of v given ascending interior cut points: the number of edges <= v. */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the health monitor compares live behaviour with: the model's training and holdout figures. */
export interface HealthReference {
  /** Training distribution of each of the model's features, in the model's feature order. */
  features: readonly { name: string; edges: readonly number[]; freq: readonly number[] }[];
  /** Features whose drift can recommend a retrain. */
  important: readonly string[];
  /**
   * The top-class hit rates (accuracy) the model has shown: [the lower of its holdout 95 % interval's
   * lower bound and its worst cross-validation fold, the holdout interval's upper bound]; null: unknown.
   */
  expectedHitRate: readonly [number, number] | null;
  /** The label definition the model was trained on (forward log return over horizonBars bars of the signal interval). */
  horizonBars: number;
  flatBand: number;
  /**
   * The model's accuracy by confidence on its test split (manifest `confidenceBands`), band for
   * band: the live hit rate is split on exactly these edges. Absent or null: no per-band field.
   */
  bands?: readonly ValidationBand[] | null | undefined;
  options: HealthOptions;
}

/** One band of the manifest's `confidenceBands`: edges, test rows, their hit rate and its Wilson 95 % interval. */
export interface ValidationBand {
  from: number;
  to: number;
  count: number;
  hitRate: number | null;
  ci95: readonly [number, number] | null;
}

export interface HealthOptions {
  /** Complete feature vectors per symbol in the PSI window. */
  window: number;
  /** Matured signals per symbol in the hit-rate window. */
  labelWindow: number;
  /** One report per symbol every this many signals. */
  every: number;
  psiThreshold: number;
  /** One-sided normal quantile of the hit-rate bound (2.326: 99 %). */
  z: number;
  /** A band with fewer matured signals (or validation rows) than this claims no difference (D78). */
  bandMinSamples: number;
}

/**
 * Defaults: a week of 5-minute vectors for PSI (slow features such as implied volatility wander over
 * days, so shorter windows read a stable market as drift; docs/evaluation.md), two days of matured
 * signals for the hit rate, one report an hour.
 */
export const DEFAULT_HEALTH_OPTIONS: HealthOptions = { window: 2016, labelWindow: 576, every: 12, psiThreshold: 0.25, z: 2.326, bandMinSamples: 30 };

/** Band index of a confidence: the last band whose `from` is <= it (the first band takes anything below), as model/confidence-bands.ts bins the test split. */
export function bandOf(bands: readonly { from: number }[], confidence: number): number {
  let b = bands.length - 1;
  while (b > 0 && confidence < (bands[b] as { from: number }).from) b--;
  return b;
}

/**
 * The live hit rate per confidence band over the first `n` entries of the matured ring (ring
 * order, so the sums are the same on every run), each beside the band's validation figures. A
 * difference is claimed only when both sides have at least `minSamples` and the two Wilson 95 %
 * intervals do not overlap (a conservative test: Schenker & Gentleman 2001); otherwise the band
 * is a small sample or 'same'.
 */
export function bandHitRates(bands: readonly ValidationBand[], hits: readonly number[], confidences: readonly number[], n: number, minSamples: number): HealthBand[] {
  const matured = new Array<number>(bands.length).fill(0);
  const hit = new Array<number>(bands.length).fill(0);
  for (let i = 0; i < n; i++) {
    const b = bandOf(bands, confidences[i] as number);
    matured[b] = (matured[b] as number) + 1;
    hit[b] = (hit[b] as number) + (hits[i] as number);
  }
  return bands.map((v, b) => {
    const m = matured[b] as number;
    const h = hit[b] as number;
    const live = wilsonInterval(h, m);
    const smallSample = m < Math.max(1, minSamples) || v.count < Math.max(1, minSamples) || v.ci95 === null || live === null;
    let difference: string | null = null;
    if (!smallSample && live !== null && v.ci95 !== null) difference = live[1] < v.ci95[0] ? 'below' : live[0] > v.ci95[1] ? 'above' : 'same';
    return {
      from: v.from,
      to: v.to,
      matured: m,
      hits: h,
      hitRate: m === 0 ? null : h / m,
      ci95Lo: live === null ? null : live[0],
      ci95Hi: live === null ? null : live[1],
      validationCount: v.count,
      validationHitRate: v.hitRate,
      validationCi95Lo: v.ci95 === null ? null : v.ci95[0],
      validationCi95Hi: v.ci95 === null ? null : v.ci95[1],
      smallSample,
      difference,
    };
  });
}

interface Pending {
  barEnd: number;
  close: number;
  predicted: number;
  confidence: number;
}

/** Everything the monitor holds for one symbol (JSON-safe: it is the checkpoint state). */
interface SymbolHealth {
  vectors: number;
  signals: number;
  /** Ring of window x features bin indices. */
  bins: number[];
  /** features x bins counts of the rows in the ring. */
  counts: number[][];
  lastRowBarEnd: number;
  lastRow: number[];
  lastBarEnd: number;
  lastClose: number;
  pending: Pending[];
  /** Ring of matured outcomes: hit (0/1) and confidence. */
  hits: number[];
  confidences: number[];
  matured: number;
}

/**
 * The model-health monitor, a graph operator after `infer`: for each symbol, a rolling window of
 * the feature vectors the model scored gives each feature's PSI against the training distribution;
 * each signal's label matures `horizonBars` signal-interval bars later exactly as the dataset
 * defines it (close to close, FLAT band, a missing horizon bar leaves it unlabelled), and the
 * rolling hit rate of the matured signals is compared with the hit rates the model has shown, overall
 * and, when the reference carries the model's validation confidence bands, band for band. Every `every`
 * signals it emits a ModelHealth report, with a retrain recommendation (reason, priority) when an
 * important feature's PSI exceeds the threshold or the hit rate's upper bound falls below the
 * expected range. It reads only the events in the stream (no clock), keeps per-symbol state (so
 * the reports do not depend on how symbols are partitioned across processes) and registers that
 * state for checkpoints: live and replay emit the same reports.
 */
export function modelHealth(modelId: string, featureNames: readonly string[], ref: HealthReference, signalInterval: string, state?: GraphStateRegistry): OperatorFunction<Flow, Flow> {
  const o = ref.options;
  const d = ref.features.length;
  if (d !== featureNames.length || ref.features.some((f, j) => f.name !== featureNames[j])) {
    throw new Error(`model-health reference features ${ref.features.map((f) => f.name).join(',')} differ from the model's ${featureNames.join(',')}`);
  }
  const important = new Set(ref.important);
  const horizonMs = ref.horizonBars * intervalMs(signalInterval);
  const bySymbol = new Map<string, SymbolHealth>();
  state?.register('health', {
    snapshot: () => Object.fromEntries([...bySymbol].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    restore: (s) => {
      bySymbol.clear();
      for (const [k, v] of Object.entries(s as Record<string, SymbolHealth>)) bySymbol.set(k, structuredClone(v));
    },
  });
  const of = (symbol: string): SymbolHealth => {
    let h = bySymbol.get(symbol);
    if (h === undefined) {
      h = {
        vectors: 0,
        signals: 0,
        bins: [],
        counts: ref.features.map((f) => new Array<number>(f.edges.length + 1).fill(0)),
        lastRowBarEnd: Number.NaN,
        lastRow: [],
        lastBarEnd: Number.NaN,
        lastClose: Number.NaN,
        pending: [],
        hits: [],
        confidences: [],
        matured: 0,
      };
      bySymbol.set(symbol, h);
    }
    return h;
  };

  const onBar = (h: SymbolHealth, end: number, close: number): void => {
    while (h.pending.length > 0 && (h.pending[0] as Pending).barEnd + horizonMs <= end) {
      const p = h.pending.shift() as Pending;
      if (p.barEnd + horizonMs < end || !(p.close > 0) || !(close > 0)) continue; // horizon bar missing: unlabelled, as in the dataset
      const label = classify(Math.log(close / p.close), ref.flatBand);
      const at = h.matured % o.labelWindow;
      h.hits[at] = label === p.predicted ? 1 : 0;
      h.confidences[at] = p.confidence;
      h.matured++;
    }
    h.lastBarEnd = end;
    h.lastClose = close;
  };

  const addRow = (h: SymbolHealth, row: readonly number[]): void => {
    const at = (h.vectors % o.window) * d;
    for (let j = 0; j < d; j++) {
      const c = h.counts[j] as number[];
      if (h.vectors >= o.window) {
        const old = h.bins[at + j] as number;
        c[old] = (c[old] as number) - 1;
      }
      const b = binOf((ref.features[j] as HealthReference['features'][number]).edges, row[j] as number);
      h.bins[at + j] = b;
      c[b] = (c[b] as number) + 1;
    }
    h.vectors++;
  };

  const report = (h: SymbolHealth, signal: Signal): ModelHealth => {
    const full = h.vectors >= o.window;
    let psiMax: number | null = null;
    let psiFeature: string | null = null;
    const drifted: { name: string; psi: number }[] = [];
    if (full) {
      ref.features.forEach((f, j) => {
        if (!important.has(f.name)) return;
        const v = psi(f.freq, (h.counts[j] as number[]).map((c) => c / o.window));
        if (psiMax === null || v > psiMax) {
          psiMax = v;
          psiFeature = f.name;
        }
        if (v > o.psiThreshold) drifted.push({ name: f.name, psi: v });
      });
    }
    const n = Math.min(h.matured, o.labelWindow);
    let hitRate: number | null = null;
    let hitRateUpper: number | null = null;
    let meanConfidence: number | null = null;
    if (n > 0) {
      let hits = 0;
      let conf = 0;
      for (let i = 0; i < n; i++) {
        hits += h.hits[i] as number;
        conf += h.confidences[i] as number;
      }
      hitRate = hits / n;
      hitRateUpper = hitRate + o.z * Math.sqrt((hitRate * (1 - hitRate)) / n);
      meanConfidence = conf / n;
    }
    const ci = ref.expectedHitRate;
    const hitRateLow = ci !== null && hitRate !== null && hitRateUpper !== null && h.matured >= o.labelWindow && hitRateUpper < ci[0];
    const reasons: string[] = [];
    if (drifted.length > 0) reasons.push(`PSI above ${o.psiThreshold} on ${drifted.map((x) => `${x.name} (${x.psi.toFixed(3)})`).join(', ')} over the last ${o.window} feature vectors`);
    if (hitRateLow) {
      reasons.push(
        `live hit rate ${(hitRate as number).toFixed(3)} (upper bound ${(hitRateUpper as number).toFixed(3)}) below the expected range [${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}] over the last ${n} matured signals`,
      );
    }
    const retrain = reasons.length > 0;
    const bands = ref.bands === undefined || ref.bands === null || ref.bands.length === 0 ? null : bandHitRates(ref.bands, h.hits, h.confidences, n, o.bandMinSamples);
    return {
      symbol: signal.symbol,
      tsEvent: signal.barEnd,
      tsInit: signal.tsInit,
      modelId,
      vectors: h.vectors,
      window: Math.min(h.vectors, o.window),
      psiMax,
      psiFeature,
      driftedFeatures: drifted.map((x) => x.name),
      matured: n,
      hitRate,
      hitRateUpper,
      expectedHitRateLo: ci === null ? null : ci[0],
      expectedHitRateHi: ci === null ? null : ci[1],
      meanConfidence,
      calibrationGap: meanConfidence === null || hitRate === null ? null : meanConfidence - hitRate,
      retrain,
      priority: retrain ? (hitRateLow || drifted.length * 2 >= important.size ? 'high' : 'medium') : null,
      reason: retrain ? reasons.join('; ') : null,
      // Left out (Avro default null) without validation bands: the report of such a model is the v1 report.
      ...(bands === null ? {} : { bands }),
    };
  };

  return syncFlatMap<Flow, Flow>((e, emit) => {
    emit(e);
    if (e.kind === 'bar') {
      if (e.bar.interval === signalInterval) onBar(of(e.bar.symbol), e.bar.end, e.bar.close);
      return;
    }
    if (e.kind === 'features') {
      const v = e.vector;
      if (v.interval !== signalInterval) return;
      const h = of(v.symbol);
      const row: number[] = [];
      for (const name of featureNames) {
        const x = v.features[name];
        if (x === null || x === undefined) return;
        row.push(x);
      }
      h.lastRow = row;
      h.lastRowBarEnd = v.barEnd;
      return;
    }
    if (e.kind !== 'signal') return;
    const s = e.signal;
    if (s.modelId !== modelId) return;
    const h = of(s.symbol);
    if (h.lastRowBarEnd === s.barEnd) addRow(h, h.lastRow);
    // argmax, ties to the first class (CLASSES order), as the metrics count accuracy
    const p = [s.pUp, s.pFlat, s.pDown];
    let predicted = 0;
    for (let k = 1; k < 3; k++) if ((p[k] as number) > (p[predicted] as number)) predicted = k;
    h.pending.push({ barEnd: s.barEnd, close: h.lastBarEnd === s.barEnd ? h.lastClose : Number.NaN, predicted, confidence: p[predicted] as number });
    h.signals++;
    if (h.signals % o.every === 0) emit({ kind: 'health', health: report(h, s) });
  });
}
