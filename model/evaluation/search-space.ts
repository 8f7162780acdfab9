import type { Rng } from '../../processors/math/rng.ts';
import type { Family } from '../family.ts';
import { DEFAULT_GBDT } from '../gbdt.ts';
import { DEFAULT_LOGISTIC } from '../logistic.ts';
import { DEFAULT_MLP } from '../mlp.ts';

/** Families with a search space (a family added to FAMILIES is tunable once it has one here). */
export const TUNABLE_FAMILIES = ['logistic', 'gbdt', 'mlp'] as const satisfies readonly Family[];
export type TunableFamily = (typeof TUNABLE_FAMILIES)[number];

/** One hyper-parameter: log-uniform or uniform on [lo, hi], or one of a list. */
export type Dim =
  | { name: string; kind: 'log' | 'uniform'; lo: number; hi: number; int?: boolean }
  | { name: string; kind: 'choice'; choices: readonly (number | readonly number[])[] };

export type Params = Record<string, number | number[]>;

/**
 * Each family's search space (the order is the order of the draws). Logistic: one L2 strength
 * (instead of the default grid of four); GBDT: the settings that matter most in LightGBM-style
 * boosting, rounds left to early stopping; MLP: layers, L2, learning rate, batch size.
 */
export const SPACES: Readonly<Record<TunableFamily, readonly Dim[]>> = {
  logistic: [{ name: 'l2', kind: 'log', lo: 1e-5, hi: 1 }],
  gbdt: [
    { name: 'learningRate', kind: 'log', lo: 0.02, hi: 0.3 },
    { name: 'maxLeafNodes', kind: 'choice', choices: [7, 15, 31, 63] },
    { name: 'minSamplesLeaf', kind: 'choice', choices: [5, 10, 20, 50, 100] },
    { name: 'l2', kind: 'log', lo: 0.1, hi: 10 },
    { name: 'rowSubsample', kind: 'uniform', lo: 0.5, hi: 1 },
    { name: 'colSubsample', kind: 'uniform', lo: 0.5, hi: 1 },
  ],
  mlp: [
    { name: 'hidden', kind: 'choice', choices: [[16], [32], [64], [16, 8], [32, 16], [64, 32]] },
    { name: 'l2', kind: 'log', lo: 1e-6, hi: 1e-2 },
    { name: 'learningRate', kind: 'log', lo: 1e-4, hi: 1e-2 },
    { name: 'batchSize', kind: 'choice', choices: [128, 256, 512] },
  ],
};

/** Each family's default settings (what `train` uses), tried first so a search never ends worse than them. */
export const DEFAULT_PARAMS: Readonly<Record<TunableFamily, Params>> = {
  logistic: { l2Grid: [...DEFAULT_LOGISTIC.l2Grid] },
  gbdt: {
    learningRate: DEFAULT_GBDT.learningRate,
    maxLeafNodes: DEFAULT_GBDT.maxLeafNodes,
    minSamplesLeaf: DEFAULT_GBDT.minSamplesLeaf,
    l2: DEFAULT_GBDT.l2,
    rowSubsample: DEFAULT_GBDT.rowSubsample,
    colSubsample: DEFAULT_GBDT.colSubsample,
  },
  mlp: { hidden: [...DEFAULT_MLP.hidden], l2: DEFAULT_MLP.l2, learningRate: DEFAULT_MLP.learningRate, batchSize: 256 },
};

const round6 = (x: number): number => Number(x.toPrecision(6));

/** Unit interval -> parameter value (numeric dims). */
export function fromUnit(d: Extract<Dim, { lo: number }>, u: number): number {
  const v = d.kind === 'log' ? Math.exp(Math.log(d.lo) + u * (Math.log(d.hi) - Math.log(d.lo))) : d.lo + u * (d.hi - d.lo);
  return d.int ? Math.round(v) : round6(v);
}

/** Parameter value -> unit interval (numeric dims). */
export function toUnit(d: Extract<Dim, { lo: number }>, v: number): number {
  return d.kind === 'log' ? (Math.log(v) - Math.log(d.lo)) / (Math.log(d.hi) - Math.log(d.lo)) : (v - d.lo) / (d.hi - d.lo);
}

/** One configuration drawn from the prior: choices uniform, numbers uniform on their (log) scale. */
export function sampleSpace(rng: Rng, dims: readonly Dim[]): Params {
  const out: Params = {};
  for (const d of dims) {
    if (d.kind === 'choice') {
      const c = d.choices[Math.floor(rng.next() * d.choices.length)] as number | readonly number[];
      out[d.name] = typeof c === 'number' ? c : [...c];
    } else out[d.name] = fromUnit(d, rng.next());
  }
  return out;
}

export interface Observation {
  family: TunableFamily;
  params: Params;
  loss: number;
  /** Tie-break (lower first). */
  order: number;
}

const key = (v: unknown): string => JSON.stringify(v);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** A one-dimensional Parzen estimator on [0, 1]: a Gaussian at each point plus a wide prior component. */
class Parzen {
  private readonly sigma: number;
  constructor(private readonly points: readonly number[]) {
    const n = points.length;
    const mean = points.reduce((s, v) => s + v, 0) / Math.max(1, n);
    const sd = n > 1 ? Math.sqrt(points.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0.25;
    // Silverman's rule, kept between 0.05 and 0.5 of the range
    this.sigma = Math.min(0.5, Math.max(0.05, 1.06 * sd * n ** -0.2));
  }

  /** Log density (the prior N(0.5, 1) counts as one more point). */
  logPdf(u: number): number {
    const comp = (mu: number, s: number): number => Math.exp(-0.5 * ((u - mu) / s) ** 2 - LOG_SQRT_2PI - Math.log(s));
    let p = comp(0.5, 1);
    for (const m of this.points) p += comp(m, this.sigma);
    return Math.log(p / (this.points.length + 1));
  }

  sample(rng: Rng): number {
    const i = Math.floor(rng.next() * (this.points.length + 1));
    const [mu, s] = i === this.points.length ? [0.5, 1] : [this.points[i] as number, this.sigma];
    return Math.min(1, Math.max(0, mu + s * rng.normal()));
  }
}

/** Categorical estimator: counts with one pseudo-count per choice. */
function categorical(values: readonly string[], choices: readonly string[]): number[] {
  return choices.map((c) => (values.filter((v) => v === c).length + 1) / (values.length + choices.length));
}

function pickWeighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

export const TPE_CANDIDATES = 24;

/**
 * Tree-structured Parzen estimator (Bergstra, Bardenet, Bengio & Kégl 2011; Optuna's default
 * sampler), univariate: the observations are split into the best quarter (at most 25) and the rest;
 * `TPE_CANDIDATES` configurations are drawn from the good ones' estimators (family first, then each
 * of its dimensions) and the one with the largest l(x) / g(x) is returned. Observations of another
 * family do not inform a family's dimensions. Seeded: the same observations and Rng state give the
 * same proposal.
 */
export function proposeTpe(rng: Rng, families: readonly TunableFamily[], observations: readonly Observation[]): { family: TunableFamily; params: Params } {
  const ranked = [...observations].sort((a, b) => a.loss - b.loss || a.order - b.order);
  const nGood = Math.min(25, Math.max(1, Math.ceil(0.25 * ranked.length)));
  const good = ranked.slice(0, nGood);
  const bad = ranked.slice(nGood);
  const famL = categorical(good.map((o) => o.family), families);
  const famG = categorical(bad.map((o) => o.family), families);
  let best: { family: TunableFamily; params: Params; score: number } | null = null;
  for (let c = 0; c < TPE_CANDIDATES; c++) {
    const fi = pickWeighted(rng, famL);
    const family = families[fi] as TunableFamily;
    let score = Math.log(famL[fi] as number) - Math.log(famG[fi] as number);
    const goodF = good.filter((o) => o.family === family);
    const badF = bad.filter((o) => o.family === family);
    const params: Params = {};
    for (const d of SPACES[family]) {
      if (d.kind === 'choice') {
        const names = d.choices.map(key);
        const l = categorical(goodF.map((o) => key(o.params[d.name])), names);
        const g = categorical(badF.map((o) => key(o.params[d.name])), names);
        const i = pickWeighted(rng, l);
        const v = d.choices[i] as number | readonly number[];
        params[d.name] = typeof v === 'number' ? v : [...v];
        score += Math.log(l[i] as number) - Math.log(g[i] as number);
      } else {
        const pts = (os: readonly Observation[]): number[] =>
          os.map((o) => o.params[d.name]).filter((v): v is number => typeof v === 'number').map((v) => Math.min(1, Math.max(0, toUnit(d, v))));
        const l = new Parzen(pts(goodF));
        const g = new Parzen(pts(badF));
        const u = l.sample(rng);
        const v = fromUnit(d, u);
        params[d.name] = v;
        const uu = toUnit(d, v);
        score += l.logPdf(uu) - g.logPdf(uu);
      }
    }
    if (best === null || score > best.score) best = { family, params, score };
  }
  const b = best as { family: TunableFamily; params: Params };
  return { family: b.family, params: b.params };
}
