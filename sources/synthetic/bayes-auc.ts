import { DEFAULT_LABEL_CONFIG, classify, type LabelConfig } from '../../processors/labels.ts';
import { macroAuc } from '../../processors/math/auc.ts';
import { normCdf } from '../../processors/math/black-scholes.ts';
import { Rng } from '../../processors/math/rng.ts';
import type { SymbolTruth, SyntheticTruth } from './synthetic-truth.ts';

const YEAR_MS = 365 * 86_400_000;
const DAY_MS = 86_400_000;

export interface BayesAucOptions {
  labelConfig?: LabelConfig;
  /** Monte-Carlo draws of the unknown future OFIs (half of them antithetic). */
  draws?: number;
  seed?: number;
}

/** One row per labelled bar (pooled over symbols, symbol by symbol in config order). */
export interface BayesDataset {
  symbol: string[];
  /** Bar index within its symbol's truth. */
  bar: number[];
  /** Expected forward log return from what is known at the bar's close (the OFIs up to it). */
  knownDrift: number[];
  forwardReturn: number[];
  labels: (0 | 1 | 2)[];
  /** True class probabilities in CLASSES order (UP, FLAT, DOWN). */
  probs: [number, number, number][];
  /** Per symbol, what turns a known drift into class probabilities (classProbabilities). */
  laws: Record<string, ForwardLaw>;
}

/**
 * The law of a symbol's forward return given the known drift m: m + (one of `draws`, equally
 * likely: the unknown future OFIs' share) + a Poisson mixture of centred normals (diffusion and
 * jumps), classified against +/- flatBand.
 */
export interface ForwardLaw {
  draws: number[];
  mixture: { p: number; sd: number }[];
  flatBand: number;
}

/**
 * [pUp, pFlat, pDown] of a forward return whose known drift is `drift`, with an extra centred
 * normal of variance `extraVariance` added to every mixture component (0: the generator's own
 * probabilities, bit for bit; > 0: a drift only estimated, D109's feature-achievable oracle).
 */
export function classProbabilities(law: ForwardLaw, drift: number, extraVariance = 0): [number, number, number] {
  const b = law.flatBand;
  const v = law.draws;
  let up = 0;
  let down = 0;
  for (const { p, sd: sd0 } of law.mixture) {
    const sd = extraVariance === 0 ? sd0 : Math.sqrt(sd0 * sd0 + extraVariance);
    let u = 0;
    let dn = 0;
    for (let j = 0; j < v.length; j++) {
      const m = drift + (v[j] as number);
      u += normCdf((m - b) / sd);
      dn += normCdf((-b - m) / sd);
    }
    up += (p * u) / v.length;
    down += (p * dn) / v.length;
  }
  return [up, Math.max(0, 1 - up - down), down];
}

/**
 * The macro one-vs-rest AUC (UP/FLAT/DOWN) reached by the generator's true conditional class
 * probabilities. Label of bar k: classify(ln(close_{k+h} / close_k), flatBand), closes being last
 * trade prices. With D the drift of bar j as in synthetic-market.ts, c = s * kappa * sigma_bar:
 *   forward return = sum over j in k+1..k+h of (c / L) sum_{m=j-L}^{j-1} OFI_m  + diffusion + jumps
 *                  = sum_m w_m OFI_m + N(0, sigma^2 h B) + (Poisson(lambda h B) jumps of N(0, jumpStd^2)),
 *   w_m = (c / L) * #{j in k+1..k+h : j-L <= m <= j-1}.
 * Known at the close of k: OFI_m for m <= k (the known drift). Unknown: OFI_{k+1..k+h-1}, drawn by
 * Monte-Carlo as a + sqrt((1 - a^2) H) Z (a the bar's latent imbalance ~ U(-a_max, a_max), H the
 * symbol's mean sum(size^2)/sum(size)^2, the binomial sampling noise of a size-weighted OFI),
 * clipped to [-1, 1]. Diffusion and jumps are integrated analytically (a Poisson mixture of
 * normals). The same draws serve every bar, so the probabilities are smooth in the known drift.
 * Approximations, all second order for the AUC: the horizon is taken as exactly h bars (the label
 * runs between last-trade times) and the OFI noise ignores the current regime and hour.
 * At s = 0 every bar of a symbol gets the same probabilities, so the AUC is exactly 0.5 when the
 * symbols share volatility and jumps (the defaults); with different volatilities pooled bars
 * are NOT exchangeable and FLAT becomes predictable from the symbol alone.
 * NaN when no class has both positives and negatives (e.g. a sample shorter than the horizon).
 */
export function bayesAuc(truth: SyntheticTruth, options: BayesAucOptions = {}): number {
  const d = bayesDataset(truth, options);
  return macroAuc(d.probs, d.labels) ?? Number.NaN;
}

export function bayesDataset(truth: SyntheticTruth, options: BayesAucOptions = {}): BayesDataset {
  const lc = options.labelConfig ?? DEFAULT_LABEL_CONFIG;
  const root = new Rng(options.seed ?? 1);
  const out: BayesDataset = { symbol: [], bar: [], knownDrift: [], forwardReturn: [], labels: [], probs: [], laws: {} };
  for (const st of truth.symbols) addSymbol(out, truth, st, lc, options.draws ?? 400, root.fork());
  return out;
}

function addSymbol(out: BayesDataset, truth: SyntheticTruth, st: SymbolTruth, lc: LabelConfig, draws: number, rng: Rng): void {
  const h = lc.horizonBars;
  const L = truth.signalLookbackBars;
  const B = truth.barMs;
  const sigmaMs = st.volatility / Math.sqrt(YEAR_MS);
  const c = truth.signalStrength * truth.driftScale * sigmaMs * Math.sqrt(B);
  // Weight of OFI_{k-i} (known, i = 0..L-1) and OFI_{k+i} (unknown, i = 1..h-1).
  const known = Array.from({ length: L }, (_, i) => (c / L) * Math.max(0, Math.min(h, L - i)));
  const unknown = Array.from({ length: Math.max(0, h - 1) }, (_, j) => (c / L) * Math.min(h - (j + 1), L));
  const v = unknownDraws(unknown, c === 0 ? 1 : draws, truth.maxImbalance, meanFinite(st.herfindahl, st.bars), rng);
  const tau = h * B;
  const lambda = (st.jumpsPerDay / DAY_MS) * tau;
  const mix = poissonMixture(lambda, sigmaMs * sigmaMs * tau, st.jumpStd * st.jumpStd);
  const b = lc.flatBand;
  const law: ForwardLaw = { draws: Array.from(v), mixture: mix, flatBand: b };
  out.laws[st.symbol] = law;
  for (let k = 0; k + h < st.bars; k++) {
    const c0 = st.close[k] as number;
    const c1 = st.close[k + h] as number;
    // After a signal change the strength differs: the figure is that of the rows wholly before it.
    if (truth.signalChangeAt !== null && st.firstBarStart + (k + h) * B >= truth.signalChangeAt) continue;
    if (!(c0 > 0) || !(c1 > 0)) continue;
    let drift = 0;
    for (let i = 0; i < L && k - i >= 0; i++) drift += (known[i] as number) * (st.ofi[k - i] as number);
    const r = Math.log(c1 / c0);
    out.symbol.push(st.symbol);
    out.bar.push(k);
    out.knownDrift.push(drift);
    out.forwardReturn.push(r);
    out.labels.push(classify(r, b));
    out.probs.push(classProbabilities(law, drift));
  }
}

/** Draws of sum_i w_i OFI_i over unknown future bars; antithetic pairs (the law is symmetric). */
function unknownDraws(w: number[], draws: number, aMax: number, herf: number, rng: Rng): Float64Array {
  const half = Math.max(1, Math.floor(draws / 2));
  const out = new Float64Array(draws === 1 ? 1 : 2 * half);
  const noise = Number.isFinite(herf) ? herf : 0;
  for (let d = 0; d < half; d++) {
    let s = 0;
    for (const wi of w) {
      const a = aMax * (2 * rng.next() - 1);
      const o = a + Math.sqrt(Math.max(0, (1 - a * a) * noise)) * rng.normal();
      s += wi * Math.min(1, Math.max(-1, o));
    }
    out[d] = s;
    if (out.length > 1) out[half + d] = -s;
  }
  if (out.length === 1) out[0] = 0;
  return out;
}

/** Weights and standard deviations of sum of N(0, diffVar) and n ~ Poisson(lambda) N(0, jumpVar). */
function poissonMixture(lambda: number, diffVar: number, jumpVar: number): { p: number; sd: number }[] {
  const out: { p: number; sd: number }[] = [];
  let p = Math.exp(-lambda);
  let total = 0;
  for (let n = 0; n < 50; n++) {
    out.push({ p, sd: Math.sqrt(diffVar + n * jumpVar) });
    total += p;
    if (1 - total < 1e-7 || jumpVar === 0) break;
    p *= lambda / (n + 1);
  }
  for (const m of out) m.p /= total;
  return out;
}

function meanFinite(x: Float64Array, n: number): number {
  let s = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i] as number;
    if (Number.isFinite(v)) {
      s += v;
      k++;
    }
  }
  return k > 0 ? s / k : Number.NaN;
}
