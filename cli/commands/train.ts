import { ProgressBar } from '../../model/progress.ts';
import { train } from '../../model/train.ts';
import type { Metrics } from '../../model/metrics.ts';
import type { ValuesOf } from '../command-spec.ts';
import { info, printJson } from '../output.ts';
import type { TRAIN } from '../specs/train.ts';

export async function run(values: ValuesOf<typeof TRAIN>): Promise<number> {
  const { backend } = values;
  const bar = new ProgressBar({ label: 'train' });
  const r = await train({
    datasetPath: values.dataset,
    outDir: values.out,
    seed: values.seed,
    ...(values.epochs !== undefined ? { epochs: values.epochs } : {}),
    backend,
    onProgress: (p) => bar.update(p.epoch * p.batches + p.batch, p.epochs * p.batches, `epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)}`),
  });
  bar.finish();
  info(`model ${r.modelId} saved: ${r.rows} rows (train ${r.trainRows}, validation ${r.validationRows}, test ${r.testRows}; purged ${r.purgedRows}, embargoed ${r.embargoedRows})`);
  if (r.droppedColumns.length) info(`left out ${r.droppedColumns.length} feature columns empty in most rows: ${r.droppedColumns.join(', ')}`);
  printJson({ modelId: r.modelId, metrics: publicMetrics(r.metrics), baseline: publicMetrics(r.baseline), features: r.manifest.featureNames.length, droppedColumns: r.droppedColumns });
  return 0;
}

/** The CLI contract names the macro one-vs-rest AUC `auc`; per-class AUCs are `aucPerClass`. */
export function publicMetrics(m: Metrics): Record<string, unknown> {
  const { macroAuc, auc, ...rest } = m;
  return { ...rest, auc: macroAuc, aucPerClass: auc };
}
