import { Rng } from '../processors/math/rng.ts';
import { CLASSES } from '../processors/types.ts';
import { binRows, fitBinning } from './binning.ts';
import type { FitInput } from './family.ts';
import { GbdtModel, softmaxInPlace, type GbdtParams, type TreeParams } from './gbdt-model.ts';

const K = CLASSES.length;
/** Histogram slots per feature (bins fit in a byte). */
const NB = 256;

/**
 * Histogram gradient-boosted trees for K classes with the softmax loss, in the manner of LightGBM
 * (Ke et al., NeurIPS 2017) and scikit-learn's HistGradientBoostingClassifier: features binned
 * once on the train rows, per round one tree per class on the gradient g = p - y and hessian
 * h = p (1 - p), grown leaf-wise (best gain first) up to maxLeafNodes leaves and maxDepth, leaf
 * value -G / (H + l2) times the learning rate, splits only with minSamplesLeaf rows on each side.
 * Deterministic: every sum runs in row order, the parent-minus-child histogram trick is the same
 * arithmetic every time, and ties go to the larger gain, then the lower feature index, then the
 * lower threshold, then the lower node id.
 */
export interface GbdtConfig {
  learningRate: number;
  maxRounds: number;
  maxLeafNodes: number;
  /** 0: no depth limit (leaf count only). */
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  maxBins: number;
  /** Fraction of train rows drawn (seeded, per round) for the round's trees. */
  rowSubsample: number;
  /** Fraction of features drawn (seeded, per round) as split candidates. */
  colSubsample: number;
  /** Stop after this many rounds without a validation log-loss improvement; keep the best round. */
  patience: number;
}

export const DEFAULT_GBDT: GbdtConfig = {
  learningRate: 0.1,
  maxRounds: 300,
  maxLeafNodes: 31,
  maxDepth: 0,
  minSamplesLeaf: 20,
  l2: 1,
  maxBins: 255,
  rowSubsample: 0.8,
  colSubsample: 0.8,
  patience: 20,
};

export interface GbdtFit {
  params: GbdtParams;
  roundsRun: number;
  bestRound: number;
  validationLogLoss: number;
  history: number[];
}

const MIN_HESSIAN = 1e-3;
const EPS = 1e-15;

interface Split {
  gain: number;
  feature: number;
  bin: number;
  gl: number;
  hl: number;
  nl: number;
}

interface Leaf {
  node: number;
  rows: Uint32Array;
  g: number;
  h: number;
  depth: number;
  hist: Float64Array;
  split: Split | null;
}

export function fitGbdt(input: FitInput, config: Partial<GbdtConfig> = {}): GbdtFit {
  const cfg: GbdtConfig = { ...DEFAULT_GBDT, ...config };
  const { features, dim, labels } = input;
  const binning = fitBinning(features, dim, input.train, Math.min(cfg.maxBins, NB - 1));
  const nBins = binning.thresholds.map((t) => t.length + 1);
  const n = input.train.length;
  const bins = binRows(features, dim, input.train, binning);
  const y = Uint8Array.from(input.train, (r) => labels[r] as number);
  const nv = input.validation.length;
  const binsVal = binRows(features, dim, input.validation, binning);
  const yVal = Uint8Array.from(input.validation, (r) => labels[r] as number);

  // Class weights (train rows only) multiply each row's gradient and hessian, and the base score is
  // the log of the weighted class shares; the validation loss below stays unweighted.
  const cw = input.classWeights ?? null;
  const counts = new Float64Array(K);
  for (let i = 0; i < n; i++) counts[y[i] as number] = (counts[y[i] as number] as number) + (cw === null ? 1 : (cw[y[i] as number] as number));
  let total = n;
  if (cw !== null) {
    total = 0;
    for (let k = 0; k < K; k++) total += counts[k] as number;
  }
  const baseScore = Array.from(counts, (c) => Math.log(Math.max(c / total, 1e-12)));
  const raw = new Float64Array(n * K);
  const rawVal = new Float64Array(nv * K);
  for (let i = 0; i < n; i++) raw.set(baseScore, i * K);
  for (let i = 0; i < nv; i++) rawVal.set(baseScore, i * K);

  const rng = new Rng(input.seed);
  const rowRng = rng.fork();
  const colRng = rng.fork();
  const prob = new Float64Array(n * K);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const p = new Float64Array(K);
  const rounds: TreeParams[][] = [];
  const history: number[] = [];
  let best = Infinity;
  let bestRound = 0;
  const allRows = Uint32Array.from({ length: n }, (_, i) => i);

  for (let round = 0; round < cfg.maxRounds; round++) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) p[k] = raw[i * K + k] as number;
      prob.set(softmaxInPlace(p), i * K);
    }
    const rows = cfg.rowSubsample < 1 ? allRows.filter(() => rowRng.next() < cfg.rowSubsample) : allRows;
    const cols = sampleColumns(dim, cfg.colSubsample, colRng);
    const trees: TreeParams[] = [];
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < n; i++) {
        const pk = prob[i * K + k] as number;
        g[i] = pk - ((y[i] as number) === k ? 1 : 0);
        h[i] = Math.max(pk * (1 - pk), 1e-16);
        if (cw !== null) {
          const w = cw[y[i] as number] as number;
          g[i] = (g[i] as number) * w;
          h[i] = (h[i] as number) * w;
        }
      }
      const { tree, splitBins } = growTree(bins, dim, nBins, binning.thresholds, rows, cols, g, h, cfg);
      trees.push(tree);
      addTree(tree, splitBins, bins, dim, n, raw, k);
      addTree(tree, splitBins, binsVal, dim, nv, rawVal, k);
    }
    rounds.push(trees);
    let loss = 0;
    for (let i = 0; i < nv; i++) {
      for (let c = 0; c < K; c++) p[c] = rawVal[i * K + c] as number;
      loss -= Math.log(Math.min(1 - EPS, Math.max(EPS, softmaxInPlace(p)[yVal[i] as number] as number)));
    }
    loss /= Math.max(nv, 1);
    history.push(loss);
    if (loss < best - 1e-7) {
      best = loss;
      bestRound = round + 1;
    } else if (round + 1 - bestRound >= cfg.patience) break;
  }
  return {
    params: { inputDim: dim, baseScore, rounds: rounds.slice(0, bestRound) },
    roundsRun: rounds.length,
    bestRound,
    validationLogLoss: best,
    history,
  };
}

/** Ascending feature indices, each kept with probability `fraction` (at least one). */
function sampleColumns(dim: number, fraction: number, rng: Rng): Int32Array {
  if (fraction >= 1) return Int32Array.from({ length: dim }, (_, j) => j);
  const keep: number[] = [];
  for (let j = 0; j < dim; j++) if (rng.next() < fraction) keep.push(j);
  if (keep.length === 0) keep.push(Math.floor(rng.next() * dim));
  return Int32Array.from(keep);
}

function buildHistogram(bins: Uint8Array, dim: number, rows: Uint32Array, cols: Int32Array, g: Float64Array, h: Float64Array): Float64Array {
  const hist = new Float64Array(dim * NB * 3);
  const nc = cols.length;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as number;
    const base = row * dim;
    const gi = g[row] as number;
    const hi = h[row] as number;
    for (let c = 0; c < nc; c++) {
      const f = cols[c] as number;
      const idx = (f * NB + (bins[base + f] as number)) * 3;
      hist[idx] = (hist[idx] as number) + gi;
      hist[idx + 1] = (hist[idx + 1] as number) + hi;
      hist[idx + 2] = (hist[idx + 2] as number) + 1;
    }
  }
  return hist;
}

function bestSplit(leaf: Leaf, cols: Int32Array, nBins: number[], cfg: GbdtConfig): Split | null {
  if (cfg.maxDepth > 0 && leaf.depth >= cfg.maxDepth) return null;
  const n = leaf.rows.length;
  if (n < 2 * cfg.minSamplesLeaf) return null;
  const { g: G, h: H, hist } = leaf;
  const parent = (G * G) / (H + cfg.l2);
  let best: Split | null = null;
  for (let c = 0; c < cols.length; c++) {
    const f = cols[c] as number;
    let gl = 0;
    let hl = 0;
    let nl = 0;
    const nb = nBins[f] as number;
    for (let b = 0; b < nb - 1; b++) {
      const idx = (f * NB + b) * 3;
      gl += hist[idx] as number;
      hl += hist[idx + 1] as number;
      nl += hist[idx + 2] as number;
      if (nl < cfg.minSamplesLeaf) continue;
      const nr = n - nl;
      if (nr < cfg.minSamplesLeaf) break;
      const hr = H - hl;
      if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + cfg.l2) + (gr * gr) / (hr + cfg.l2) - parent;
      if (gain > 1e-12 && (best === null || gain > best.gain)) best = { gain, feature: f, bin: b, gl, hl, nl };
    }
  }
  return best;
}

function growTree(
  bins: Uint8Array,
  dim: number,
  nBins: number[],
  thresholds: Float64Array[],
  rows: Uint32Array,
  cols: Int32Array,
  g: Float64Array,
  h: Float64Array,
  cfg: GbdtConfig,
): { tree: TreeParams; splitBins: number[] } {
  const tree: TreeParams = { feature: [], threshold: [], left: [], right: [], value: [] };
  const splitBins: number[] = [];
  const newNode = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    splitBins.push(-1);
    return tree.feature.length - 1;
  };
  let G = 0;
  let H = 0;
  for (let r = 0; r < rows.length; r++) {
    G += g[rows[r] as number] as number;
    H += h[rows[r] as number] as number;
  }
  const root: Leaf = { node: newNode(), rows, g: G, h: H, depth: 0, hist: buildHistogram(bins, dim, rows, cols, g, h), split: null };
  root.split = bestSplit(root, cols, nBins, cfg);
  const open: Leaf[] = [root];
  while (open.length < cfg.maxLeafNodes) {
    let pick = -1;
    for (let i = 0; i < open.length; i++) {
      const s = (open[i] as Leaf).split;
      if (s === null) continue;
      if (pick < 0) pick = i;
      else {
        const bs = (open[pick] as Leaf).split as Split;
        const a = open[i] as Leaf;
        if (s.gain > bs.gain || (s.gain === bs.gain && a.node < (open[pick] as Leaf).node)) pick = i;
      }
    }
    if (pick < 0) break;
    const leaf = open.splice(pick, 1)[0] as Leaf;
    const s = leaf.split as Split;
    const leftRows = new Uint32Array(s.nl);
    const rightRows = new Uint32Array(leaf.rows.length - s.nl);
    let li = 0;
    let ri = 0;
    for (let r = 0; r < leaf.rows.length; r++) {
      const row = leaf.rows[r] as number;
      if ((bins[row * dim + s.feature] as number) <= s.bin) leftRows[li++] = row;
      else rightRows[ri++] = row;
    }
    const leftSmaller = leftRows.length <= rightRows.length;
    const small = buildHistogram(bins, dim, leftSmaller ? leftRows : rightRows, cols, g, h);
    const large = leaf.hist;
    for (let i = 0; i < large.length; i++) large[i] = (large[i] as number) - (small[i] as number);
    const left: Leaf = { node: newNode(), rows: leftRows, g: s.gl, h: s.hl, depth: leaf.depth + 1, hist: leftSmaller ? small : large, split: null };
    const right: Leaf = { node: newNode(), rows: rightRows, g: leaf.g - s.gl, h: leaf.h - s.hl, depth: leaf.depth + 1, hist: leftSmaller ? large : small, split: null };
    // An internal node keeps the Newton step its rows had before the split (for Saabas attribution; prediction reads leaves only).
    tree.value[leaf.node] = (-leaf.g / (leaf.h + cfg.l2)) * cfg.learningRate;
    tree.feature[leaf.node] = s.feature;
    tree.threshold[leaf.node] = (thresholds[s.feature] as Float64Array)[s.bin] as number;
    tree.left[leaf.node] = left.node;
    tree.right[leaf.node] = right.node;
    splitBins[leaf.node] = s.bin;
    left.split = bestSplit(left, cols, nBins, cfg);
    right.split = bestSplit(right, cols, nBins, cfg);
    open.push(left, right);
  }
  for (const leaf of open) tree.value[leaf.node] = (-leaf.g / (leaf.h + cfg.l2)) * cfg.learningRate;
  return { tree, splitBins };
}

/** Adds a tree's leaf values to the raw scores of class k, routing binned rows by split bins. */
function addTree(tree: TreeParams, splitBins: number[], bins: Uint8Array, dim: number, n: number, raw: Float64Array, k: number): void {
  for (let i = 0; i < n; i++) {
    let node = 0;
    while ((tree.feature[node] as number) >= 0) {
      node = (bins[i * dim + (tree.feature[node] as number)] as number) <= (splitBins[node] as number) ? (tree.left[node] as number) : (tree.right[node] as number);
    }
    raw[i * K + k] = (raw[i * K + k] as number) + (tree.value[node] as number);
  }
}

export { GbdtModel };
