import { macroAuc } from '../../processors/math/auc.ts';
import { Rng } from '../../processors/math/rng.ts';
import { reliability } from '../metrics.ts';
import { consistencyEces } from './ece-noise.ts';
import { DEFAULT_BOOTSTRAP, quantileSorted, resampleBlocks, type Interval } from './block-bootstrap.ts';

const K = 3;

/**
 * A model's test figures against the best possible classifier on the SAME rows (D92).
 *
 * A synthetic market knows each bar's true class probabilities (the oracle). Its AUC over the
 * whole market (the analytic Bayes AUC, `generate`'s `bayesAuc`) is what a model could reach on
 * average; on a test split of ~2,600 rows the oracle itself scores about ±0.01 around it, so
 * edge = (AUC − 0.5) / (Bayes AUC − 0.5) moves by about ±0.09 from the sample alone. Here the
 * model and the oracle are scored on the same rows and the same circular-block resamples (paired),
 * so the ratio `edgeVsOracle` cancels the luck of the sample that both share.
 */
export interface OracleEdge {
  rows: number;
  blockLength: number;
  replicates: number;
  analyticBayesAuc: number;
  /** Model and oracle macro AUC on the rows, with their block-bootstrap intervals. */
  modelAuc: Interval;
  oracleAuc: Interval;
  /** (model AUC − 0.5) / (analytic Bayes AUC − 0.5); the interval from the model's AUC alone. */
  edgeVsAnalytic: Interval;
  /** (model AUC − 0.5) / (oracle AUC − 0.5) on each resample (paired). */
  edgeVsOracle: Interval;
  /** Oracle AUC − model AUC on each resample (paired). */
  aucGap: Interval;
  ece: {
    /** The model's ECE (10 bins, top class) on the rows, with its block-bootstrap interval. */
    model: Interval;
    /** The true probabilities' ECE on the same rows and labels: calibrated by construction, so pure sampling noise (plus any label mismatch). */
    oracle: number;
    /** What a perfectly calibrated model with the model's own confidences shows on this many rows: ECE of labels drawn from its probabilities, mean and 95th percentile of `draws` draws. */
    floorMean: number;
    floorQ95: number;
    draws: number;
  };
}

export interface OracleEdgeInput {
  /** Row-major n x 3 (CLASSES order): the model's (calibrated) probabilities on the rows. */
  modelProbs: Float64Array;
  /** The oracle's true probabilities on the same rows. */
  oracleProbs: Float64Array;
  /** The labels the model is scored on. */
  labels: Uint8Array;
  analyticBayesAuc: number;
  /** Rows per bootstrap block (blockLengthForHorizon). */
  blockLength: number;
  replicates?: number;
  seed?: number;
  /** Consistency-resampling draws for the ECE floor (default 200). */
  eceDraws?: number;
}

/** Macro AUC of rows `idx` of probs (row-major n x 3): the reference computation (processors/math/auc.ts). */
function aucOf(probs: Float64Array, labels: Uint8Array, idx: Uint32Array): number | null {
  const rows = Array.from(idx, (i) => probs.subarray(i * K, i * K + K));
  return macroAuc(rows, Array.from(idx, (i) => labels[i] as number), K);
}

/**
 * Macro AUC of a resample given as multiplicities of the original rows, in O(n) per class: the
 * rows are sorted by each class's probability once (ties grouped), and the Mann-Whitney count is
 * weighted by how often each row was drawn (ties count half, as macroAuc). Equal to macroAuc of
 * the resampled rows up to rounding; 1,000 replicates of 2,600 rows take well under a second.
 */
class ResampledAuc {
  private readonly order: Uint32Array[];
  /** groupEnd[c][j]: one past the last sorted position of the tie group that starts at j. */
  private readonly groupEnd: Uint32Array[];

  constructor(
    private readonly probs: Float64Array,
    private readonly labels: Uint8Array,
  ) {
    const n = labels.length;
    this.order = [];
    this.groupEnd = [];
    for (let c = 0; c < K; c++) {
      const o = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => (probs[a * K + c] as number) - (probs[b * K + c] as number) || a - b);
      const g = new Uint32Array(n);
      let j = 0;
      while (j < n) {
        let e = j + 1;
        while (e < n && probs[(o[e] as number) * K + c] === probs[(o[j] as number) * K + c]) e++;
        g[j] = e;
        j = e;
      }
      this.order.push(o);
      this.groupEnd.push(g);
    }
  }

  auc(count: Uint32Array): number | null {
    let sum = 0;
    let classes = 0;
    for (let c = 0; c < K; c++) {
      const o = this.order[c] as Uint32Array;
      const g = this.groupEnd[c] as Uint32Array;
      let negBelow = 0;
      let num = 0;
      let pos = 0;
      let j = 0;
      while (j < o.length) {
        const e = g[j] as number;
        let p = 0;
        let q = 0;
        for (let t = j; t < e; t++) {
          const i = o[t] as number;
          const w = count[i] as number;
          if (this.labels[i] === c) p += w;
          else q += w;
        }
        num += p * (negBelow + q / 2);
        negBelow += q;
        pos += p;
        j = e;
      }
      if (pos > 0 && negBelow > 0) {
        sum += num / (pos * negBelow);
        classes++;
      }
    }
    return classes === 0 ? null : sum / classes;
  }
}

function take(probs: Float64Array, labels: Uint8Array, idx: Uint32Array): { p: Float64Array; y: Uint8Array } {
  const p = new Float64Array(idx.length * K);
  for (let r = 0; r < idx.length; r++) p.set(probs.subarray((idx[r] as number) * K, (idx[r] as number) * K + K), r * K);
  return { p, y: Uint8Array.from(idx, (i) => labels[i] as number) };
}

/** ECE of labels drawn from the probabilities themselves (consistency resampling): mean and 95th percentile. */
export function eceFloor(probs: Float64Array, seed: number, draws = 200): { mean: number; q95: number } {
  const eces = consistencyEces(probs, seed, draws, K);
  let sum = 0;
  for (const e of eces) sum += e;
  eces.sort();
  return { mean: sum / draws, q95: quantileSorted(eces, 0.95) };
}

export function oracleEdge(o: OracleEdgeInput): OracleEdge {
  const n = o.labels.length;
  if (n === 0 || o.modelProbs.length !== n * K || o.oracleProbs.length !== n * K) throw new RangeError(`need n > 0 rows of ${K} probabilities for model and oracle, got ${n}`);
  const replicates = o.replicates ?? DEFAULT_BOOTSTRAP.replicates;
  const seed = o.seed ?? DEFAULT_BOOTSTRAP.seed;
  const L = Math.min(o.blockLength, n);
  const denom = o.analyticBayesAuc - 0.5;
  // One set of resamples serves every statistic: the intervals are paired.
  const stats = { a: [] as number[], b: [] as number[], edgeA: [] as number[], edgeO: [] as number[], gap: [] as number[], ece: [] as number[] };
  const rng = new Rng(seed);
  const idx = new Uint32Array(n);
  const count = new Uint32Array(n);
  const modelAuc = new ResampledAuc(o.modelProbs, o.labels);
  const oracleAuc = new ResampledAuc(o.oracleProbs, o.labels);
  for (let r = 0; r < replicates; r++) {
    resampleBlocks(n, L, rng, idx);
    count.fill(0);
    for (const i of idx) count[i] = (count[i] as number) + 1;
    const a = modelAuc.auc(count);
    const b = oracleAuc.auc(count);
    if (a !== null) {
      stats.a.push(a);
      stats.edgeA.push((a - 0.5) / denom);
    }
    if (b !== null) stats.b.push(b);
    if (a !== null && b !== null) {
      stats.gap.push(b - a);
      if (b !== 0.5) stats.edgeO.push((a - 0.5) / (b - 0.5));
    }
    const t = take(o.modelProbs, o.labels, idx);
    stats.ece.push(reliability(t.p, t.y).ece);
  }
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const a0 = aucOf(o.modelProbs, o.labels, all);
  const b0 = aucOf(o.oracleProbs, o.labels, all);
  const interval = (estimate: number | null, values: number[]): Interval => {
    const v = Float64Array.from(values.filter((x) => Number.isFinite(x))).sort();
    return { estimate, ci95: v.length * 2 >= replicates ? [quantileSorted(v, 0.025), quantileSorted(v, 0.975)] : null, blockLength: L, replicates: v.length };
  };
  const draws = o.eceDraws ?? 200;
  const floor = eceFloor(o.modelProbs, seed, draws);
  return {
    rows: n,
    blockLength: L,
    replicates,
    analyticBayesAuc: o.analyticBayesAuc,
    modelAuc: interval(a0, stats.a),
    oracleAuc: interval(b0, stats.b),
    edgeVsAnalytic: interval(a0 === null ? null : (a0 - 0.5) / denom, stats.edgeA),
    edgeVsOracle: interval(a0 === null || b0 === null || b0 === 0.5 ? null : (a0 - 0.5) / (b0 - 0.5), stats.edgeO),
    aucGap: interval(a0 === null || b0 === null ? null : b0 - a0, stats.gap),
    ece: { model: interval(reliability(o.modelProbs, o.labels).ece, stats.ece), oracle: reliability(o.oracleProbs, o.labels).ece, floorMean: floor.mean, floorQ95: floor.q95, draws },
  };
}
