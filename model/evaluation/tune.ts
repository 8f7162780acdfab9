import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LABEL_CONFIG } from '../../processors/labels.ts';
import { Rng } from '../../processors/math/rng.ts';
import { useBackend, type BackendName } from '../backend.ts';
import { datasetBarIntervalMs, mostlyEmptyColumns, readDataset } from '../dataset.ts';
import { ModelError } from '../errors.ts';
import { DEFAULT_SPLIT } from '../split.ts';
import { blockLengthForHorizon } from './block-bootstrap.ts';
import { crossValidate, type FitFn, type TrainingData } from './cross-validate.ts';
import { STANDARD_METRICS } from './metric-intervals.ts';
import { mlpFit } from './mlp-fit.ts';
import { planFolds, type FoldPlan } from './purged-folds.ts';

/**
 * Seeded hyper-parameter search: random sampling of each family's space, then successive halving
 * (Jamieson & Talwalkar 2016; Optuna's SuccessiveHalvingPruner): every sampled configuration is
 * scored at a small epoch budget, the best 1/eta go on with eta times the budget, and so on.
 * Score: mean purged-CV log loss on the rows before the holdout (the holdout is never looked at).
 * Every evaluation is one line of `trials.jsonl`; a rerun with the same seed and options reuses the
 * lines already there (resume) and reproduces the rest, time fields aside.
 */
export const TUNABLE_FAMILIES = ['mlp'] as const;
export type TunableFamily = (typeof TUNABLE_FAMILIES)[number];

export interface MlpParams {
  hidden: number[];
  l2: number;
  learningRate: number;
  batchSize: number;
}

export interface TrialRecord {
  trial: number;
  rung: number;
  family: TunableFamily;
  params: MlpParams;
  /** Epoch budget of this rung (early stopping may end sooner). */
  epochs: number;
  /** Purged-CV log loss of each fold. */
  foldLogLoss: number[];
  cvLogLoss: number;
  cvAuc: number | null;
  /** Wall time (not reproduced by a rerun). */
  seconds: number;
}

export interface TuneOptions {
  datasetPath: string;
  outDir: string;
  trials: number;
  seed: number;
  families?: TunableFamily[];
  /** Stop starting evaluations after this long (wall clock); default none. */
  timeBudgetMs?: number;
  cvFolds?: number;
  /** Epoch budget of the last rung (default 30). */
  maxEpochs?: number;
  /** Halving rate (default 3). */
  eta?: number;
  backend?: BackendName;
  onProgress?: (done: number, total: number, last: TrialRecord) => void;
}

export interface TuneResult {
  best: TrialRecord;
  ledger: { path: string; evaluations: number; configurations: number; rungs: number; resumed: number; computed: number; stoppedBy: 'done' | 'time-budget' };
}

const HIDDEN_CHOICES: number[][] = [[16], [32], [64], [16, 8], [32, 16], [64, 32]];
const BATCH_CHOICES = [128, 256, 512];

/** Draws one MLP configuration: hidden layers and batch size uniform, l2 and learning rate log-uniform. */
export function sampleMlp(rng: Rng): MlpParams {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
  const logUniform = (lo: number, hi: number): number => Number(Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo))).toPrecision(6));
  return { hidden: pick(HIDDEN_CHOICES), l2: logUniform(1e-6, 1e-2), learningRate: logUniform(1e-4, 1e-2), batchSize: pick(BATCH_CHOICES) };
}

/** Epoch budget per rung: maxEpochs / eta^(rungs-1-r), at least 1. */
export function rungEpochs(rungs: number, maxEpochs: number, eta: number): number[] {
  return Array.from({ length: rungs }, (_, r) => Math.max(1, Math.round(maxEpochs / eta ** (rungs - 1 - r))));
}

export function rungCount(trials: number, eta: number): number {
  let r = 1;
  let n = trials;
  while (n > 1) {
    n = Math.ceil(n / eta);
    r++;
  }
  return Math.min(r, 4);
}

const key = (trial: number, rung: number): string => `${trial}/${rung}`;

function readLedger(path: string): Map<string, TrialRecord> {
  const out = new Map<string, TrialRecord>();
  if (!existsSync(path)) return out;
  for (const [n, line] of readFileSync(path, 'utf8').split('\n').entries()) {
    if (line.trim() === '') continue;
    let r: TrialRecord;
    try {
      r = JSON.parse(line) as TrialRecord;
    } catch {
      throw new ModelError('DATASET_INVALID', `${path} line ${n + 1} is not JSON (a ledger from another tool, or cut short): move it away to start afresh`);
    }
    out.set(key(r.trial, r.rung), r);
  }
  return out;
}

export async function tune(o: TuneOptions): Promise<TuneResult> {
  const families = o.families ?? ['mlp'];
  for (const f of families) {
    if (!TUNABLE_FAMILIES.includes(f)) throw new ModelError('SPLIT_INVALID', `family ${f} cannot be tuned yet (tunable: ${TUNABLE_FAMILIES.join(', ')})`);
  }
  if (!Number.isInteger(o.trials) || o.trials < 1) throw new ModelError('SPLIT_INVALID', `trials must be an integer >= 1, got ${o.trials}`);
  const eta = o.eta ?? 3;
  const maxEpochs = o.maxEpochs ?? 30;
  await useBackend(o.backend ?? 'wasm');
  const dropped = await mostlyEmptyColumns(o.datasetPath);
  const ds = await readDataset(o.datasetPath, { exclude: dropped });
  const horizonBars = Number(ds.meta['horizonBars']) > 0 ? Number(ds.meta['horizonBars']) : DEFAULT_LABEL_CONFIG.horizonBars;
  const horizonMs = horizonBars * datasetBarIntervalMs(ds.meta);
  const data: TrainingData = { features: ds.features, dim: ds.dim, labels: ds.labels, barEnd: ds.barEnd };
  const plan: FoldPlan = planFolds(ds.barEnd, { folds: o.cvFolds ?? 5, horizonMs, embargoMs: horizonMs, holdoutFraction: DEFAULT_SPLIT.fractions.test });

  await mkdir(o.outDir, { recursive: true });
  const ledgerPath = join(o.outDir, 'trials.jsonl');
  const done = readLedger(ledgerPath);
  const rng = new Rng(o.seed);
  const configs = Array.from({ length: o.trials }, (_, i) => ({ trial: i, family: families[i % families.length] as TunableFamily, params: sampleMlp(rng), seed: rng.nextUint32() }));
  const rungs = rungCount(o.trials, eta);
  const epochs = rungEpochs(rungs, maxEpochs, eta);
  const total = (() => {
    let n = o.trials;
    let t = 0;
    for (let r = 0; r < rungs; r++) {
      t += n;
      n = Math.ceil(n / eta);
    }
    return t;
  })();
  const started = performance.now();
  let resumed = 0;
  let computed = 0;
  let stoppedBy: 'done' | 'time-budget' = 'done';
  const all: TrialRecord[] = [];
  let alive = configs;
  let lastRung: TrialRecord[] = [];
  outer: for (let r = 0; r < rungs && alive.length > 0; r++) {
    const results: TrialRecord[] = [];
    for (const c of alive) {
      const prev = done.get(key(c.trial, r));
      let rec: TrialRecord;
      if (prev !== undefined && JSON.stringify(prev.params) === JSON.stringify(c.params) && prev.epochs === epochs[r]) {
        rec = prev;
        resumed++;
      } else {
        if (o.timeBudgetMs !== undefined && performance.now() - started > o.timeBudgetMs) {
          stoppedBy = 'time-budget';
          break outer;
        }
        const t0 = performance.now();
        const fit: FitFn = mlpFit({
          mlp: { hidden: c.params.hidden, l2: c.params.l2, learningRate: c.params.learningRate },
          epochs: epochs[r] as number,
          batchSize: c.params.batchSize,
          patience: 5,
          horizonMs,
        });
        const cv = await crossValidate(data, plan, fit, {
          metrics: STANDARD_METRICS,
          seed: c.seed,
          bootstrap: { blockLength: blockLengthForHorizon(ds.barEnd, horizonMs), replicates: 1 },
        });
        rec = {
          trial: c.trial,
          rung: r,
          family: c.family,
          params: c.params,
          epochs: epochs[r] as number,
          foldLogLoss: cv.perFold.map((f) => f.scores['logLoss'] as number),
          cvLogLoss: cv.summary['logLoss']?.mean as number,
          cvAuc: cv.summary['auc']?.mean ?? null,
          seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
        };
        await appendFile(ledgerPath, `${JSON.stringify(rec)}\n`);
        computed++;
      }
      results.push(rec);
      all.push(rec);
      o.onProgress?.(all.length, total, rec);
    }
    lastRung = results;
    const ranked = [...results].sort((a, b) => a.cvLogLoss - b.cvLogLoss || a.trial - b.trial);
    const keep = new Set(ranked.slice(0, Math.ceil(results.length / eta)).map((x) => x.trial));
    alive = r + 1 < rungs && results.length > 1 ? alive.filter((c) => keep.has(c.trial)) : [];
  }
  const pool = lastRung.length > 0 ? lastRung : all;
  if (pool.length === 0) throw new ModelError('SPLIT_INVALID', 'the time budget ran out before the first trial finished');
  // The best of the highest rung reached (the largest budget); ties to the lower trial number.
  const topRung = Math.max(...all.map((x) => x.rung));
  const best = [...all.filter((x) => x.rung === topRung)].sort((a, b) => a.cvLogLoss - b.cvLogLoss || a.trial - b.trial)[0] as TrialRecord;
  const result: TuneResult = {
    best,
    ledger: { path: ledgerPath, evaluations: all.length, configurations: o.trials, rungs: topRung + 1, resumed, computed, stoppedBy },
  };
  await writeFile(join(o.outDir, 'best.json'), `${JSON.stringify(best, null, 2)}\n`);
  return result;
}
