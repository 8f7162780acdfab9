import { FAMILIES, FAMILY_CHOICES, type FamilyChoice } from '../../model/family.ts';
import { ProgressBar } from '../../model/progress.ts';
import { train, type TrainResult } from '../../model/train.ts';
import { publicEvaluation } from '../../model/evaluation/evaluate-model.ts';
import { CV_SCHEMES, type CvScheme } from '../../model/evaluation/purged-folds.ts';
import { describeFailures, readGateConfig } from '../../model/evaluation/gates.ts';
import type { Metrics } from '../../model/metrics.ts';
import { parse, requireString, toNumber } from '../args.ts';
import { info, printJson, UsageError } from '../output.ts';

/** `--family` values: a family, or auto (every family, lowest validation log loss, ties to the simpler). */
export function parseFamily(value: string | undefined): FamilyChoice {
  const family = value ?? 'auto';
  if (!(FAMILY_CHOICES as readonly string[]).includes(family)) throw new UsageError(`--family must be one of ${FAMILY_CHOICES.join(', ')}, got ${JSON.stringify(family)}`);
  if (family === 'sequence' || family === 'stack') throw new UsageError(`--family ${family} is not available in this build yet; use auto, ${FAMILIES.join(', ')}`);
  return family as FamilyChoice;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    dataset: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    family: { type: 'string' },
    epochs: { type: 'string' },
    backend: { type: 'string' },
    'cv-folds': { type: 'string' },
    'cv-scheme': { type: 'string' },
    gates: { type: 'string' },
    'bayes-auc': { type: 'string' },
  });
  const cvFolds = toNumber(values['cv-folds'], 'cv-folds', 5);
  if (!Number.isInteger(cvFolds) || cvFolds === 1 || cvFolds < 0) throw new UsageError('--cv-folds must be 0 (no cross-validation) or an integer >= 2');
  const cvScheme = values['cv-scheme'] ?? 'purged-kfold';
  if (!CV_SCHEMES.includes(cvScheme as CvScheme)) throw new UsageError(`--cv-scheme must be ${CV_SCHEMES.join(' or ')}`);
  const gates = values.gates === undefined ? undefined : await readGateConfig(values.gates).catch((e: unknown) => {
    throw new UsageError((e as Error).message);
  });
  const backend = values.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu' && backend !== 'tensorflow') throw new UsageError('--backend must be wasm, cpu or tensorflow');
  const family = parseFamily(values.family);
  const bar = new ProgressBar({ label: 'train' });
  const r = await train({
    datasetPath: requireString(values.dataset, 'dataset'),
    outDir: requireString(values.out, 'out'),
    seed: toNumber(values.seed, 'seed', 42),
    family,
    ...(values.epochs ? { epochs: toNumber(values.epochs, 'epochs', 30) } : {}),
    backend,
    cvFolds,
    cvScheme: cvScheme as CvScheme,
    onCvFold: (f, of) => info(`cross-validation: fold ${f + 1}/${of}`),
    ...(gates ? { gates } : {}),
    ...(values['bayes-auc'] ? { bayesAuc: toNumber(values['bayes-auc'], 'bayes-auc', 0.5) } : {}),
    onFamily: (f) => info(`fitting ${f}`),
    onProgress: (p) => bar.update(p.epoch * p.batches + p.batch, p.epochs * p.batches, `epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)}`),
  });
  bar.finish();
  info(`model ${r.modelId} (${r.family}) saved: ${r.rows} rows (train ${r.trainRows}, validation ${r.validationRows}, test ${r.testRows}; purged ${r.purgedRows}, embargoed ${r.embargoedRows})`);
  if (r.candidates.length > 1) info(`validation log loss: ${r.candidates.map((c) => `${c.family} ${c.validationLogLoss.toFixed(5)}`).join(', ')}`);
  const g = r.evaluation.gates;
  info(g.passed ? 'gates: passed' : `gates: FAILED ${describeFailures(g)}`);
  if (r.droppedColumns.length) info(`left out ${r.droppedColumns.length} feature columns empty in most rows: ${r.droppedColumns.join(', ')}`);
  printJson(trainReport(r));
  return 0;
}

/** What `train` prints (a contract other tooling reads). */
export function trainReport(r: TrainResult): Record<string, unknown> {
  return {
    modelId: r.modelId,
    family: r.family,
    metrics: publicMetrics(r.metrics),
    baseline: publicMetrics(r.baseline),
    features: r.manifest.featureNames.length,
    droppedColumns: r.droppedColumns,
    calibration: r.calibration === null ? { method: 'none', eceBefore: null, eceAfter: null } : { method: r.calibration.method, eceBefore: r.calibration.eceBefore, eceAfter: r.calibration.eceAfter },
    split: r.split,
    candidates: r.candidates,
    ...publicEvaluation(r.evaluation),
  };
}

/** The CLI contract names the macro one-vs-rest AUC `auc`; per-class AUCs are `aucPerClass`. */
export function publicMetrics(m: Metrics): Record<string, unknown> {
  const { macroAuc, auc, ...rest } = m;
  return { ...rest, auc: macroAuc, aucPerClass: auc };
}
