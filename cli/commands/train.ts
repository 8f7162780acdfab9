import { ProgressBar } from '../../model/progress.ts';
import { train } from '../../model/train.ts';
import { publicEvaluation } from '../../model/evaluation/evaluate-model.ts';
import { CV_SCHEMES, type CvScheme } from '../../model/evaluation/purged-folds.ts';
import { describeFailures, readGateConfig } from '../../model/evaluation/gates.ts';
import type { Metrics } from '../../model/metrics.ts';
import { parse, requireString, toNumber } from '../args.ts';
import { info, printJson, UsageError } from '../output.ts';

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    dataset: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
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
  const bar = new ProgressBar({ label: 'train' });
  const r = await train({
    datasetPath: requireString(values.dataset, 'dataset'),
    outDir: requireString(values.out, 'out'),
    seed: toNumber(values.seed, 'seed', 42),
    ...(values.epochs ? { epochs: toNumber(values.epochs, 'epochs', 30) } : {}),
    backend,
    cvFolds,
    cvScheme: cvScheme as CvScheme,
    onCvFold: (f, of) => info(`cross-validation: fold ${f + 1}/${of}`),
    ...(gates ? { gates } : {}),
    ...(values['bayes-auc'] ? { bayesAuc: toNumber(values['bayes-auc'], 'bayes-auc', 0.5) } : {}),
    onProgress: (p) => bar.update(p.epoch * p.batches + p.batch, p.epochs * p.batches, `epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)}`),
  });
  bar.finish();
  info(`model ${r.modelId} saved: ${r.rows} rows (train ${r.trainRows}, validation ${r.validationRows}, test ${r.testRows}; purged ${r.purgedRows}, embargoed ${r.embargoedRows})`);
  const g = r.evaluation.gates;
  info(g.passed ? 'gates: passed' : `gates: FAILED ${describeFailures(g)}`);
  if (r.droppedColumns.length) info(`left out ${r.droppedColumns.length} feature columns empty in most rows: ${r.droppedColumns.join(', ')}`);
  printJson({ modelId: r.modelId, metrics: publicMetrics(r.metrics), baseline: publicMetrics(r.baseline), features: r.manifest.featureNames.length, droppedColumns: r.droppedColumns, ...publicEvaluation(r.evaluation) });
  return 0;
}

/** The CLI contract names the macro one-vs-rest AUC `auc`; per-class AUCs are `aucPerClass`. */
export function publicMetrics(m: Metrics): Record<string, unknown> {
  const { macroAuc, auc, ...rest } = m;
  return { ...rest, auc: macroAuc, aucPerClass: auc };
}
