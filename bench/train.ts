// npm run bench -- train [--strengths 1,2] [--seeds 1,2] [--days 30] [--feature-set core|core-v2|full] [--families logistic,gbdt,mlp,stack,sequence,auto] [--calibrate-on validation|out-of-fold] [--skip-markets] [--skip-scale] [--skip-inference]
// Model families on generated markets whose best possible AUC (bayesAuc) is known: for each
// strength and seed, `tickflow generate` (BTC,ETH) -> `replay dataset` -> fit logistic, GBDT, MLP
// and the stack on the same chronological split (model/train.ts, exactly what `tickflow train
// --family X` does), and report test AUC, edge = (AUC - 0.5) / (bayesAuc - 0.5), the `auto` choice
// (purged out-of-fold log loss on train + validation, from the stack's run, which computes it for
// every family; and, for comparison, the earlier rule: lowest validation log loss) against the
// logistic baseline, ECE after calibration and training time (`auto` rows only when the stack and its
// bases are among --families; `--families logistic,auto` trains `auto` itself, as `tickflow train`
// does). Each model is also scored against the ORACLE on its very test rows (D92): the generator's
// true class probabilities of each bar (bench/train-oracle.ts), with paired block-bootstrap
// intervals of the edge against the analytic Bayes AUC and against the oracle's AUC on the same
// rows, and the ECE beside its sampling floor (model/evaluation/oracle-edge.ts).
// Then a 100k x 67 GBDT training time
// and per-row inference in µs for each family. Markets are cached under var/bench/train/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Rng } from '../processors/math/rng.ts';
import type { Family, FitInput } from '../model/family.ts';
import { fitGbdt } from '../model/gbdt.ts';
import { GbdtModel } from '../model/gbdt-model.ts';
import { fitHeads } from '../model/heads.ts';
import { loadPredictor } from '../model/predictor.ts';
import { chooseFamily } from '../model/selection.ts';
import { AUTO_TIE_TOLERANCE, train, type TrainResult } from '../model/train.ts';
import { mostlyEmptyColumns, readDataset, type Dataset } from '../model/dataset.ts';
import { blockLengthForHorizon } from '../model/evaluation/block-bootstrap.ts';
import { oracleEdge } from '../model/evaluation/oracle-edge.ts';
import { fitProjection, projectRow, type Projection } from '../model/evaluation/feature-projection.ts';
import { classProbabilities } from '../sources/synthetic/bayes-auc.ts';
import { macroAuc } from '../processors/math/auc.ts';
import { benchSay } from './say.ts';
import { oracleTable, type OracleTable } from './train-oracle.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'train'),
  options: {
    strengths: { type: 'string', default: '1,2' },
    seeds: { type: 'string', default: '1' },
    days: { type: 'string', default: '30' },
    'skip-markets': { type: 'boolean', default: false },
    'skip-scale': { type: 'boolean', default: false },
    'skip-inference': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'feature-set': { type: 'string', default: 'core' },
    families: { type: 'string', default: 'logistic,gbdt,mlp,stack' },
    // D108: 'out-of-fold' fits `auto`'s / the stack's calibrator on their out-of-fold predictions and reports the validation rule beside it.
    'calibrate-on': { type: 'string', default: 'validation' },
  },
});
const say = benchSay('train');
const tickflow = (args: string[]): Record<string, unknown> =>
  JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Record<string, unknown>;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
/** CPU seconds of this process (all its threads) since c0: on a shared machine, closer to one core's time than the wall clock. */
const cpuSince = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

const FAMILIES = values.families.split(',') as (Family | 'auto')[];
const r4 = (x: number | null | undefined): number | null => (x === null || x === undefined ? null : Math.round(x * 10_000) / 10_000);
const ci = (c: [number, number] | null): [number, number] | null => (c === null ? null : [r4(c[0]) as number, r4(c[1]) as number]);

/**
 * The model (as saved: loaded predictor, calibrator included) and the oracle on the model's test
 * rows (barEnd >= the split's testStart, as model/split.ts): edge against the analytic Bayes AUC
 * and against the oracle on the same rows, paired block-bootstrap 95 % intervals (blocks spanning
 * the label horizon), and the ECE beside the oracle's and a perfectly calibrated model's.
 */
/**
 * D109: the feature-achievable oracle of a market and a split: per symbol, the generator's known
 * drift projected (least squares, model/evaluation/feature-projection.ts) on the dataset's
 * features over the TRAIN rows only (barEnd within the split's train range), then each row's
 * class probabilities from the generator's own forward law at the projected drift, the
 * projection's residual variance added to the return's noise.
 */
function featureOracle(r: TrainResult, ds: Dataset, oracle: OracleTable, extra: Float64Array | null = null): { probsOf: (row: number) => [number, number, number]; projections: Record<string, Projection> } {
  // With an extra column: the dataset's features and it, side by side.
  const dim = extra === null ? ds.dim : ds.dim + 1;
  const features = extra === null ? ds.features : new Float64Array(ds.rows * dim);
  if (extra !== null) {
    for (let i = 0; i < ds.rows; i++) {
      features.set(ds.features.subarray(i * ds.dim, (i + 1) * ds.dim), i * dim);
      features[i * dim + ds.dim] = extra[i] as number;
    }
  }
  const key = (i: number): string => `${ds.symbols[ds.symbolIndex[i] as number] as string}|${ds.barEnd[i] as number}`;
  const drift = new Float64Array(ds.rows).fill(Number.NaN);
  const trainBySymbol = new Map<string, number[]>();
  for (let i = 0; i < ds.rows; i++) {
    const o = oracle.byRow.get(key(i));
    if (o !== undefined) drift[i] = o.knownDrift;
    const b = ds.barEnd[i] as number;
    if (b < r.split.trainStart || b > r.split.trainEnd) continue;
    const sym = ds.symbols[ds.symbolIndex[i] as number] as string;
    if (!trainBySymbol.has(sym)) trainBySymbol.set(sym, []);
    (trainBySymbol.get(sym) as number[]).push(i);
  }
  const projections: Record<string, Projection> = {};
  for (const [sym, rows] of trainBySymbol) projections[sym] = fitProjection(features, dim, drift, rows);
  return {
    projections,
    probsOf: (i) => {
      const sym = ds.symbols[ds.symbolIndex[i] as number] as string;
      const proj = projections[sym] as Projection;
      return classProbabilities(oracle.laws[sym] as NonNullable<OracleTable['laws'][string]>, projectRow(proj, features, dim, i), proj.residualVariance);
    },
  };
}

/**
 * A linearly-decaying weighted order-flow imbalance over the last n bars, from the dataset's own
 * `ofi` column: (n ofi_t + (n - 1) ofi_{t-1} + … + 1 ofi_{t-n+1}) / (n (n + 1) / 2), NaN unless
 * all n bars of the symbol are there. The standard weighted moving average of order flow, over
 * the window of the core set's `ofi_6`: what such a feature, were it in the set, would let the
 * feature-achievable oracle reach (D109). core-v2 carries it as `ofi_wma_6` (D127): on a core-v2
 * dataset (`--feature-set core-v2`) this column repeats that one and the two oracles coincide.
 */
function weightedOfi(ds: Dataset, barMs: number, n: number): Float64Array {
  const col = ds.featureNames.indexOf('ofi');
  const out = new Float64Array(ds.rows).fill(Number.NaN);
  if (col < 0) return out;
  const at = new Map<string, number>();
  for (let i = 0; i < ds.rows; i++) at.set(`${ds.symbolIndex[i] as number}|${ds.barEnd[i] as number}`, i);
  for (let i = 0; i < ds.rows; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      const k = at.get(`${ds.symbolIndex[i] as number}|${(ds.barEnd[i] as number) - j * barMs}`);
      const v = k === undefined ? Number.NaN : (ds.features[k * ds.dim + col] as number);
      s += (n - j) * v;
    }
    out[i] = s / ((n * (n + 1)) / 2);
  }
  return out;
}

async function againstOracle(r: TrainResult, modelDir: string, ds: Dataset, oracle: OracleTable, bayesAuc: number): Promise<Record<string, unknown>> {
  const p = await loadPredictor(modelDir);
  if (p.window !== 1) return { oracle: 'not scored (windowed model)' };
  const rows: number[] = [];
  let missing = 0;
  for (let i = 0; i < ds.rows; i++) {
    if ((ds.barEnd[i] as number) < r.split.testStart) continue;
    if (oracle.byRow.has(`${ds.symbols[ds.symbolIndex[i] as number] as string}|${ds.barEnd[i] as number}`)) rows.push(i);
    else missing++;
  }
  if (rows.length + missing !== r.testRows) throw new Error(`bench train: ${rows.length + missing} test rows found, train reported ${r.testRows}`);
  const n = rows.length;
  const modelProbs = new Float64Array(n * 3);
  const oracleProbs = new Float64Array(n * 3);
  const labels = new Uint8Array(n);
  const fo = featureOracle(r, ds, oracle);
  const featureOracleProbs = new Float64Array(n * 3);
  const fw = featureOracle(r, ds, oracle, weightedOfi(ds, r.manifest.labelConfig.barIntervalMs, 6));
  const wofiOracleProbs = new Float64Array(n * 3);
  let agree = 0;
  rows.forEach((i, k) => {
    featureOracleProbs.set(fo.probsOf(i), k * 3);
    wofiOracleProbs.set(fw.probsOf(i), k * 3);
    modelProbs.set(p.predict(ds.features.subarray(i * ds.dim, (i + 1) * ds.dim)), k * 3);
    const o = oracle.byRow.get(`${ds.symbols[ds.symbolIndex[i] as number] as string}|${ds.barEnd[i] as number}`) as { probs: [number, number, number]; label: number };
    oracleProbs.set(o.probs, k * 3);
    labels[k] = ds.labels[i] as number;
    if (o.label === labels[k]) agree++;
  });
  // Same rows, same predictor: the test AUC train reported, to the last bit (when no row lacks an oracle).
  if (missing === 0 && macroAuc(Array.from({ length: n }, (_, k) => modelProbs.subarray(k * 3, k * 3 + 3)), labels) !== r.metrics.macroAuc) throw new Error('bench train: the test rows rescored do not give the test AUC train reported');
  const e = oracleEdge({
    modelProbs,
    oracleProbs,
    labels,
    analyticBayesAuc: bayesAuc,
    blockLength: blockLengthForHorizon(Float64Array.from(rows, (i) => ds.barEnd[i] as number), r.manifest.split.horizonMs),
  });
  const blockLength = e.blockLength;
  // The model against the feature-achievable oracle (same rows, same resamples: seed 1), and
  // that oracle against the true one (what the features allow).
  const ef = oracleEdge({ modelProbs, oracleProbs: featureOracleProbs, labels, analyticBayesAuc: bayesAuc, blockLength });
  const ff = oracleEdge({ modelProbs: featureOracleProbs, oracleProbs, labels, analyticBayesAuc: bayesAuc, blockLength });
  const fwo = oracleEdge({ modelProbs: wofiOracleProbs, oracleProbs, labels, analyticBayesAuc: bayesAuc, blockLength });
  return {
    oracleRows: n,
    oracleMissingRows: missing,
    oracleLabelAgreement: r4(agree / n),
    blockLength: e.blockLength,
    modelAucCi: ci(e.modelAuc.ci95),
    oracleAucSameRows: r4(e.oracleAuc.estimate),
    oracleAucCi: ci(e.oracleAuc.ci95),
    edgeVsAnalytic: r4(e.edgeVsAnalytic.estimate),
    edgeVsAnalyticCi: ci(e.edgeVsAnalytic.ci95),
    edgeVsOracle: r4(e.edgeVsOracle.estimate),
    edgeVsOracleCi: ci(e.edgeVsOracle.ci95),
    aucGapToOracle: r4(e.aucGap.estimate),
    aucGapCi: ci(e.aucGap.ci95),
    eceCi: ci(e.ece.model.ci95),
    eceOracle: r4(e.ece.oracle),
    eceFloorMean: r4(e.ece.floorMean),
    eceFloorQ95: r4(e.ece.floorQ95),
    featureOracleAuc: r4(ef.oracleAuc.estimate),
    featureOracleAucCi: ci(ef.oracleAuc.ci95),
    featureOracleEdgeVsOracle: r4(ff.edgeVsOracle.estimate),
    featureOracleEdgeVsOracleCi: ci(ff.edgeVsOracle.ci95),
    edgeVsFeatureOracle: r4(ef.edgeVsOracle.estimate),
    edgeVsFeatureOracleCi: ci(ef.edgeVsOracle.ci95),
    featureOracleEce: r4(ef.ece.oracle),
    driftProjectionR2: Object.fromEntries(Object.entries(fo.projections).map(([s, pr]) => [s, r4(pr.r2)])),
    // The same with a weighted OFI over 6 bars beside the features (core-v2's ofi_wma_6, D127).
    wofiOracleEdgeVsOracle: r4(fwo.edgeVsOracle.estimate),
    wofiOracleEdgeVsOracleCi: ci(fwo.edgeVsOracle.ci95),
    wofiDriftProjectionR2: Object.fromEntries(Object.entries(fw.projections).map(([s, pr]) => [s, r4(pr.r2)])),
  };
}
const BASES: Family[] = ['logistic', 'gbdt', 'mlp'];
const rows: Record<string, unknown>[] = [];
/** Rows are printed as they come (a full run takes long); --json prints them all at the end. */
const emit = (row: Record<string, unknown>): void => {
  rows.push(row);
  if (!values.json) console.log(JSON.stringify(row));
};
if (!values['skip-markets']) {
  for (const strength of values.strengths.split(',').map(Number)) {
    for (const seed of values.seeds.split(',').map(Number)) {
      const dir = join('var', 'bench', 'train', `d${values.days}-k${strength}-s${seed}`);
      mkdirSync(dir, { recursive: true });
      const genFile = join(dir, 'generate.json');
      if (!existsSync(genFile)) {
        say(`bench train: generating ${values.days} days, strength ${strength}, seed ${seed}`);
        rmSync(join(dir, 'log'), { recursive: true, force: true });
        const g = tickflow(['generate', '--out', join(dir, 'log'), '--symbols', 'BTC,ETH', '--days', values.days, '--seed', String(seed), '--signal-strength', String(strength)]);
        writeFileSync(genFile, JSON.stringify(g));
        rmSync(join(dir, 'dataset.done'), { force: true });
      }
      const fs = values['feature-set'];
      const suffix = fs === 'core' ? '' : `-${fs}`;
      const dataset = join(dir, `dataset${suffix}.csv`);
      if (!existsSync(join(dir, `dataset${suffix}.done`))) {
        tickflow(['replay', 'dataset', '--log', join(dir, 'log'), '--out', dataset, '--feature-set', fs]);
        writeFileSync(join(dir, `dataset${suffix}.done`), '');
      }
      const bayesAuc = Number((JSON.parse(readFileSync(genFile, 'utf8')) as { bayesAuc: number }).bayesAuc);
      say(`bench train: strength ${strength} seed ${seed}: the oracle's probabilities (regenerating the market's truth once)`);
      const oracle = oracleTable(dir, { days: Number(values.days), seed, strength, symbols: ['BTC', 'ETH'] });
      // The regenerated market must be the generated one: same Bayes AUC to the last bit.
      if (oracle.bayesAuc !== bayesAuc) throw new Error(`bench train: regenerated market's Bayes AUC ${oracle.bayesAuc} differs from generate's ${bayesAuc}`);
      const ds = await readDataset(dataset, { exclude: await mostlyEmptyColumns(dataset) });
      const byFamily = new Map<Family | 'auto', { r: TrainResult; seconds: number; cpuSeconds: number }>();
      let logisticDir = join(dir, `model${suffix}-logistic`);
      let logisticIsAuto = false;
      // `auto` first: when it keeps the logistic regression, its model IS `train --family logistic`'s
      // (the same fit on the same rows, same bytes), so the logistic row reuses it instead of fitting again.
      for (const family of [...FAMILIES].sort((a, b) => Number(b === 'auto') - Number(a === 'auto'))) {
        const autoRun = byFamily.get('auto');
        // Not when its calibrator was fitted out of fold (D108): `--family logistic` calibrates on validation.
        if (family === 'logistic' && autoRun !== undefined && autoRun.r.family === 'logistic' && autoRun.r.calibration?.fittedOn === undefined) {
          byFamily.set('logistic', autoRun);
          logisticIsAuto = true;
          logisticDir = join(dir, `model${suffix}-auto`);
          continue;
        }
        say(`bench train: strength ${strength} seed ${seed}: ${family}`);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = await train({ datasetPath: dataset, outDir: join(dir, `model${suffix}-${family}`), seed, family, calibrateOn: values['calibrate-on'] === 'out-of-fold' ? 'out-of-fold' : 'validation' });
        byFamily.set(family, { r, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0) });
      }
      const withAuto = !FAMILIES.includes('auto') && [...BASES, 'stack' as Family].every((f) => FAMILIES.includes(f));
      const logisticAuc = byFamily.has('logistic') ? ((byFamily.get('logistic') as { r: TrainResult }).r.metrics.macroAuc as number) : Number.NaN;
      // Earlier rule: the base family with the lowest validation log loss, ties (within AUTO_TIE_TOLERANCE) to the simpler.
      let autoVal: Family = 'logistic';
      if (withAuto) for (const f of BASES) if ((byFamily.get(f) as { r: TrainResult }).r.candidates[0]!.validationLogLoss < (byFamily.get(autoVal) as { r: TrainResult }).r.candidates[0]!.validationLogLoss - AUTO_TIE_TOLERANCE) autoVal = f;
      // auto: purged out-of-fold log loss of every family (the stack's run computed them, as `auto` does).
      const stackRun = withAuto ? (byFamily.get('stack') as { r: TrainResult }).r : byFamily.has('auto') ? (byFamily.get('auto') as { r: TrainResult }).r : null;
      const selection = stackRun === null ? null : !withAuto ? stackRun.selection : chooseFamily(stackRun.candidates.map((c) => ({ family: c.family, cvLogLoss: c.cvLogLoss as number, perFold: c.cvLogLossPerFold as number[] })));
      const auto = selection?.family ?? 'logistic';
      for (const f of [...FAMILIES, ...(withAuto ? ['auto-validation' as const, 'auto' as const] : [])]) {
        const key = f === 'auto' && withAuto ? auto : f === 'auto-validation' ? autoVal : f;
        const { r, seconds, cpuSeconds } = byFamily.get(key) as { r: TrainResult; seconds: number; cpuSeconds: number };
        const auc = r.metrics.macroAuc as number;
        const vsOracle = await againstOracle(r, key === 'logistic' ? logisticDir : join(dir, `model${suffix}-${key}`), ds, oracle, bayesAuc);
        emit({
          strength,
          seed,
          featureSet: fs,
          features: r.manifest.featureNames.length,
          bayesAuc: r3(bayesAuc),
          family: f === 'auto' ? `auto (${auto})` : f === 'auto-validation' ? `auto by validation split (${autoVal})` : f,
          ...(f === 'auto' && stackRun !== null && selection !== null ? { cvLogLoss: Object.fromEntries(stackRun.candidates.map((c) => [c.family, r3((c.cvLogLoss as number) * 1000) / 1000])), steps: selection.steps.map((x) => `${x.family} vs ${x.against}: gain ${x.gain.toFixed(5)} se ${x.standardError.toFixed(5)} bar ${x.bar ?? 1} se ${x.kept ? 'kept' : 'not kept'}`) } : {}),
          ...(f === 'stack' || f === 'auto' ? {} : { validationLogLoss: r3(r.candidates[0]!.validationLogLoss * 1000) / 1000 }),
          testAuc: r3(auc),
          edge: r3((auc - 0.5) / (bayesAuc - 0.5)),
          vsLogistic: r3(auc - logisticAuc),
          eceBefore: r3(r.uncalibratedMetrics.ece),
          eceAfter: r3(r.metrics.ece),
          calibration: r.calibration?.method ?? 'none',
          calibrationFittedOn: r.calibration === null ? null : (r.calibration.fittedOn ?? 'validation'),
          calibrationRows: r.calibration?.rows ?? r.validationRows,
          // D108: the validation-only calibrator (the rule before) on the same model's test rows.
          ...(r.calibrationOnValidation === null ? {} : { eceValidationCalibrator: r3(r.calibrationOnValidation.testEce), testAucValidationCalibrator: r4(r.calibrationOnValidation.testAuc), validationCalibrator: r.calibrationOnValidation.method, logLossValidationCalibrator: r3(r.calibrationOnValidation.testLogLoss) }),
          logLoss: r3(r.metrics.logLoss),
          baselineLogLoss: r3(r.baseline.logLoss),
          ...vsOracle,
          ...(f === 'logistic' && logisticIsAuto ? { sameModelAs: 'auto' } : {}),
          trainSeconds: (f === 'auto' && withAuto) || f === 'auto-validation' || (f === 'logistic' && logisticIsAuto) ? null : r3(seconds),
          trainCpuSeconds: (f === 'auto' && withAuto) || f === 'auto-validation' || (f === 'logistic' && logisticIsAuto) ? null : r3(cpuSeconds),
          testRows: r.testRows,
          // Forward-return heads on the test split beside the train-split baselines (shared by every family).
          headsMae: r.heads.expectedReturn.mae,
          headsBaselineMae: r.heads.expectedReturn.baselineMae,
          coverage10: r3(r.heads.quantiles.coverage10),
          coverage90: r3(r.heads.quantiles.coverage90),
          pinball: r.heads.quantiles.pinball,
          baselinePinball: r.heads.quantiles.baselinePinball,
          topFeatures: r.importance.slice(0, 3).map((x) => x.feature),
        });
      }
      // Per-row inference through the loaded predictor (calibrator included), on the test rows' features.
      for (const f of values['skip-inference'] ? [] : FAMILIES) {
        const p = await loadPredictor(f === 'logistic' ? logisticDir : join(dir, `model${suffix}-${f}`));
        // A sequence model takes `window` rows (what the infer operator hands it); the heads and contributions one.
        const row = new Float64Array(p.featureNames.length * p.window).fill(0.1);
        const last = row.subarray(row.length - p.featureNames.length);
        const n = 200_000;
        let sink = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          row[i % row.length] = (i % 7) * 0.01;
          sink += p.predict(row)[0];
        }
        const us = ((performance.now() - t0) * 1000) / n;
        // What the infer operator adds per signal: the heads and the contributions of one class.
        const t1 = performance.now();
        for (let i = 0; i < n; i++) {
          row[i % row.length] = (i % 7) * 0.01;
          sink += (p.heads(last)?.q50 ?? 0) + (p.contributions(last, i % 3)?.[0] ?? 0);
        }
        const extraUs = ((performance.now() - t1) * 1000) / n;
        emit({ strength, seed, family: f, inferenceUsPerRow: r3(us), headsAndContributionsUsPerRow: r3(extraUs), features: p.featureNames.length, window: p.window, sink: sink !== 0 });
      }
    }
  }
}

const scale: Record<string, unknown> = {};
if (!values['skip-scale']) {
  // 100,000 rows x 67 features: a label from a few non-linear effects plus noise, like the full set.
  const n = 100_000;
  const d = 67;
  const rng = new Rng(67);
  const features = new Float64Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) features[i * d + j] = rng.normal();
    const x = features.subarray(i * d, i * d + d);
    const s = 0.4 * Math.sin(2 * (x[0] as number)) + 0.3 * (x[1] as number) * (x[2] as number) + 0.2 * (x[3] as number) + rng.normal();
    labels[i] = s > 0.4 ? 0 : s < -0.4 ? 2 : 1;
  }
  const idx = (a: number, b: number): Uint32Array => Uint32Array.from({ length: b - a }, (_, i) => a + i);
  const input: FitInput = { features, dim: d, labels, train: idx(0, 70_000), validation: idx(70_000, 85_000), standardization: { mean: new Array<number>(d).fill(0), std: new Array<number>(d).fill(1) }, seed: 1 };
  say('bench train: GBDT on 100,000 x 67 (70k train, 15k validation, early stopping)');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const fit = fitGbdt(input);
  scale.gbdtSeconds = r3((performance.now() - t0) / 1000);
  scale.gbdtCpuSeconds = r3(cpuSince(c0));
  scale.gbdtRounds = fit.roundsRun;
  scale.gbdtBestRound = fit.bestRound;
  // Without early stopping: the full 300 rounds (the worst case of the default settings).
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const full = fitGbdt(input, { patience: 1_000_000 });
  scale.gbdtSeconds300Rounds = r3((performance.now() - t1) / 1000);
  scale.gbdtCpuSeconds300Rounds = r3(cpuSince(c1));
  const model = new GbdtModel(full.params);
  const t2 = performance.now();
  let sink = 0;
  for (let i = 85_000; i < n; i++) sink += model.score(features.subarray(i * d, i * d + d))[0] as number;
  scale.gbdt300RoundsInferenceUsPerRow = r3(((performance.now() - t2) * 1000) / 15_000);
  // The forward-return heads on the same 70k train rows (target: a return made from the same score).
  const fwd = Float64Array.from({ length: n }, (_, i) => (0.002 * (features[i * d + 3] as number) + 0.004 * rng.normal()));
  const t3 = performance.now();
  fitHeads(features, d, fwd, input.train, input.standardization);
  scale.headsSeconds = r3((performance.now() - t3) / 1000);
  scale.sink = sink > 0;
}

if (values.json) process.stdout.write(`${JSON.stringify({ rows, scale })}\n`);
else console.log(JSON.stringify(scale));
