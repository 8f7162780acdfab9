import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LABEL_CONFIG } from '../../processors/labels.ts';
import { Rng } from '../../processors/math/rng.ts';
import type { Logger } from '../../lib/log.ts';
import { useBackend, type BackendName } from '../backend.ts';
import { datasetBarIntervalMs, mostlyEmptyColumns, readDataset } from '../dataset.ts';
import { ModelError } from '../errors.ts';
import { DEFAULT_SPLIT } from '../split.ts';
import { blockLengthForHorizon } from './block-bootstrap.ts';
import { crossValidate, type FitFn, type TrainingData } from './cross-validate.ts';
import { STANDARD_METRICS } from './metric-intervals.ts';
import { DEFAULT_GBDT } from '../gbdt.ts';
import { familyFit } from './family-fit.ts';
import { DEFAULT_PARAMS, proposeTpe, sampleSpace, SPACES, TUNABLE_FAMILIES, type Params, type TunableFamily } from './search-space.ts';
import { planFolds, type FoldPlan } from './purged-folds.ts';

/**
 * Seeded hyper-parameter search over every family `train --family` fits, scored by the mean
 * purged-CV log loss on the rows before the holdout (the holdout is never looked at). The first
 * trials are each family's default settings (as `train` fits them, with the search seed as the
 * fold seed), so the best trial is never worse than `train`'s cross-validation of a family.
 * Two samplers:
 * - `random`: configurations drawn from each family's space (search-space.ts), then successive
 *   halving (Jamieson & Talwalkar 2016; Optuna's SuccessiveHalvingPruner): every configuration is
 *   scored at a small budget (MLP epochs, GBDT rounds in proportion), the best 1/eta go on with eta
 *   times the budget, and so on.
 * - `tpe`: one trial at a time at the full budget; after the defaults and a few random startup
 *   trials, each configuration is proposed by a tree-structured Parzen estimator from the trials so
 *   far (search-space.ts proposeTpe).
 * Every evaluation is one line of `trials.jsonl`; a rerun with the same seed and options reuses the
 * lines already there (resume) and reproduces the rest, time fields aside.
 */
export { TUNABLE_FAMILIES, type TunableFamily } from './search-space.ts';
export const SAMPLERS = ['random', 'tpe'] as const;
export type Sampler = (typeof SAMPLERS)[number];

/** @deprecated kept for callers of the MLP-only search: the MLP's parameters. */
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
  params: Params;
  /** Budget of this evaluation: MLP epochs (early stopping may end sooner); GBDT rounds are maxRounds x epochs / maxEpochs. */
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
  /** Default: every family. */
  families?: TunableFamily[];
  /** Default 'random'. */
  sampler?: Sampler;
  /** Start with each family's default settings (default true). */
  includeDefaults?: boolean;
  /** Stop starting evaluations after this long (wall clock); default none. */
  timeBudgetMs?: number;
  cvFolds?: number;
  /** Epoch budget of the last rung (default 30). */
  maxEpochs?: number;
  /** Halving rate (default 3). */
  eta?: number;
  backend?: BackendName;
  /** Where a backend fallback is reported (a warn record, model/backend.ts); default: nowhere. */
  logger?: Logger;
  onProgress?: (done: number, total: number, last: TrialRecord) => void;
}

export interface TuneResult {
  sampler: Sampler;
  best: TrialRecord;
  ledger: { path: string; evaluations: number; configurations: number; rungs: number; resumed: number; computed: number; stoppedBy: 'done' | 'time-budget' };
}

/** Draws one MLP configuration: hidden layers and batch size uniform, l2 and learning rate log-uniform. */
export function sampleMlp(rng: Rng): MlpParams {
  return sampleSpace(rng, SPACES.mlp) as unknown as MlpParams;
}

/** Random startup trials of the TPE sampler (after the defaults). */
export const TPE_STARTUP = 4;

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

/** The FitFn of one trial: its family at its settings and budget (fraction of the full budget). */
function trialFit(family: TunableFamily, params: Params, epochs: number, maxEpochs: number, horizonMs: number, backend: BackendName): FitFn {
  // The same FitFn as train's cross-validation (familyFit), so a default trial scores exactly as train's CV of that family.
  if (family === 'mlp') {
    const p = params as unknown as MlpParams;
    return familyFit('mlp', { backend, epochs, batchSize: p.batchSize, patience: 5, horizonMs, mlp: { hidden: p.hidden, l2: p.l2, learningRate: p.learningRate } });
  }
  const common = { backend, epochs, batchSize: 256, patience: 5, horizonMs };
  if (family === 'logistic') {
    const l2Grid = Array.isArray(params['l2Grid']) ? params['l2Grid'] : [params['l2'] as number];
    return familyFit('logistic', { ...common, logistic: { l2Grid } });
  }
  const gbdt = { ...(params as Record<string, number>), maxRounds: Math.max(10, Math.round((DEFAULT_GBDT.maxRounds * epochs) / maxEpochs)) };
  return familyFit('gbdt', { ...common, gbdt });
}

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
  const families = o.families ?? [...TUNABLE_FAMILIES];
  for (const f of families) {
    if (!TUNABLE_FAMILIES.includes(f)) throw new ModelError('SPLIT_INVALID', `family ${f} cannot be tuned (tunable: ${TUNABLE_FAMILIES.join(', ')})`);
  }
  const sampler = o.sampler ?? 'random';
  if (!Number.isInteger(o.trials) || o.trials < 1) throw new ModelError('SPLIT_INVALID', `trials must be an integer >= 1, got ${o.trials}`);
  const eta = o.eta ?? 3;
  const maxEpochs = o.maxEpochs ?? 30;
  const backend = o.backend ?? 'wasm';
  if (families.includes('mlp')) await useBackend(backend, o.logger);
  const dropped = await mostlyEmptyColumns(o.datasetPath);
  const ds = await readDataset(o.datasetPath, { exclude: dropped });
  const horizonBars = Number(ds.meta['horizonBars']) > 0 ? Number(ds.meta['horizonBars']) : DEFAULT_LABEL_CONFIG.horizonBars;
  const horizonMs = horizonBars * datasetBarIntervalMs(ds.meta);
  // A triple-barrier dataset's folds purge on each row's label end (model/evaluation/purged-folds.ts).
  const labelEnd = ds.labelEnd === undefined ? {} : { labelEnd: ds.labelEnd };
  const data: TrainingData = { features: ds.features, dim: ds.dim, labels: ds.labels, barEnd: ds.barEnd, ...labelEnd };
  const plan: FoldPlan = planFolds(ds.barEnd, { folds: o.cvFolds ?? 5, horizonMs, embargoMs: horizonMs, holdoutFraction: DEFAULT_SPLIT.fractions.test, ...labelEnd });

  await mkdir(o.outDir, { recursive: true });
  const ledgerPath = join(o.outDir, 'trials.jsonl');
  const done = readLedger(ledgerPath);
  const rng = new Rng(o.seed);
  const seedRng = rng.fork();
  // The defaults first (fold seeds = the search seed, as `train --seed` uses), then the sampler's.
  const defaults = (o.includeDefaults ?? true) ? families.slice(0, o.trials).map((family) => ({ family, params: DEFAULT_PARAMS[family], seed: o.seed })) : [];
  const started = performance.now();
  let resumed = 0;
  let computed = 0;
  let stoppedBy: 'done' | 'time-budget' = 'done';
  const all: TrialRecord[] = [];
  const bootstrap = { blockLength: blockLengthForHorizon(ds.barEnd, horizonMs), replicates: 1 };

  /** Reuses the ledger's record of (trial, rung) when it is this configuration, else computes it; null when the time budget is spent. */
  const evaluate = async (c: { trial: number; family: TunableFamily; params: Params; seed: number }, rung: number, epochs: number): Promise<TrialRecord | null> => {
    const prev = done.get(key(c.trial, rung));
    if (prev !== undefined && prev.family === c.family && JSON.stringify(prev.params) === JSON.stringify(c.params) && prev.epochs === epochs) {
      resumed++;
      return prev;
    }
    if (o.timeBudgetMs !== undefined && performance.now() - started > o.timeBudgetMs) return null;
    const t0 = performance.now();
    const cv = await crossValidate(data, plan, trialFit(c.family, c.params, epochs, maxEpochs, horizonMs, backend), { metrics: STANDARD_METRICS, seed: c.seed, bootstrap });
    const rec: TrialRecord = {
      trial: c.trial,
      rung,
      family: c.family,
      params: c.params,
      epochs,
      foldLogLoss: cv.perFold.map((f) => f.scores['logLoss'] as number),
      cvLogLoss: cv.summary['logLoss']?.mean as number,
      cvAuc: cv.summary['auc']?.mean ?? null,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    };
    await appendFile(ledgerPath, `${JSON.stringify(rec)}\n`);
    computed++;
    return rec;
  };

  let rungs = 1;
  if (sampler === 'tpe') {
    for (let t = 0; t < o.trials; t++) {
      const c =
        t < defaults.length
          ? { trial: t, ...(defaults[t] as { family: TunableFamily; params: Params; seed: number }) }
          : t < defaults.length + TPE_STARTUP
            ? (() => {
                const family = families[(t - defaults.length) % families.length] as TunableFamily;
                return { trial: t, family, params: sampleSpace(rng, SPACES[family]), seed: seedRng.nextUint32() };
              })()
            : { trial: t, ...proposeTpe(rng, families, all.map((r) => ({ family: r.family, params: r.params, loss: r.cvLogLoss, order: r.trial }))), seed: seedRng.nextUint32() };
      const rec = await evaluate(c, 0, maxEpochs);
      if (rec === null) {
        stoppedBy = 'time-budget';
        break;
      }
      all.push(rec);
      o.onProgress?.(all.length, o.trials, rec);
    }
  } else {
    const configs = Array.from({ length: o.trials }, (_, i) => {
      if (i < defaults.length) return { trial: i, ...(defaults[i] as { family: TunableFamily; params: Params; seed: number }) };
      const family = families[(i - defaults.length) % families.length] as TunableFamily;
      return { trial: i, family, params: sampleSpace(rng, SPACES[family]), seed: rng.nextUint32() };
    });
    rungs = rungCount(o.trials, eta);
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
    let alive = configs;
    outer: for (let r = 0; r < rungs && alive.length > 0; r++) {
      const results: TrialRecord[] = [];
      for (const c of alive) {
        const rec = await evaluate(c, r, epochs[r] as number);
        if (rec === null) {
          stoppedBy = 'time-budget';
          break outer;
        }
        results.push(rec);
        all.push(rec);
        o.onProgress?.(all.length, total, rec);
      }
      const ranked = [...results].sort((a, b) => a.cvLogLoss - b.cvLogLoss || a.trial - b.trial);
      const keep = new Set(ranked.slice(0, Math.ceil(results.length / eta)).map((x) => x.trial));
      alive = r + 1 < rungs && results.length > 1 ? alive.filter((c) => keep.has(c.trial)) : [];
    }
  }
  if (all.length === 0) throw new ModelError('SPLIT_INVALID', 'the time budget ran out before the first trial finished');
  // The best of the highest rung reached (the largest budget); ties to the lower trial number.
  const topRung = Math.max(...all.map((x) => x.rung));
  const best = [...all.filter((x) => x.rung === topRung)].sort((a, b) => a.cvLogLoss - b.cvLogLoss || a.trial - b.trial)[0] as TrialRecord;
  const result: TuneResult = {
    sampler,
    best,
    ledger: { path: ledgerPath, evaluations: all.length, configurations: o.trials, rungs: sampler === 'tpe' ? 1 : topRung + 1, resumed, computed, stoppedBy },
  };
  await writeFile(join(o.outDir, 'best.json'), `${JSON.stringify(best, null, 2)}\n`);
  return result;
}
