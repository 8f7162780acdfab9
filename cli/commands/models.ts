import { readDataset } from '../../model/dataset.ts';
import { DriftMonitor } from '../../model/evaluation/drift.ts';
import { ModelError } from '../../model/errors.ts';
import { readManifest } from '../../model/manifest.ts';
import { diffModels, ModelRegistry } from '../../model/registry/model-registry.ts';
import type { ValuesOf } from '../command-spec.ts';
import { info, printJson, UsageError } from '../output.ts';
import type { MODELS_DIFF, MODELS_DRIFT, MODELS_LIST, MODELS_PROMOTE, MODELS_SHOW } from '../specs/models.ts';

type Options = ValuesOf<typeof MODELS_LIST> | ValuesOf<typeof MODELS_SHOW> | ValuesOf<typeof MODELS_PROMOTE> | ValuesOf<typeof MODELS_DIFF> | ValuesOf<typeof MODELS_DRIFT>;

/** `tickflow models`: the model registry (one model per subdirectory of --dir, and a champion). */
export async function run(values: Options, sub: string): Promise<number> {
  const registry = new ModelRegistry(values.dir);
  try {
    switch (sub) {
      case 'list': {
        const { models, invalid } = await registry.list();
        for (const m of models) {
          const auc = m.metrics['auc'];
          const ci = auc?.ci95 ? ` [${auc.ci95[0].toFixed(3)}, ${auc.ci95[1].toFixed(3)}]` : '';
          info(`${m.champion ? '*' : ' '} ${m.id}  ${m.name.padEnd(16)} ${m.family.padEnd(8)} ${m.created}  auc ${auc?.value?.toFixed(3) ?? '-'}${ci}  gates ${m.gates.status}`);
        }
        if (invalid.length) info(`skipped (no valid manifest): ${invalid.join(', ')}`);
        printJson({ dir: values.dir, champion: models.find((m) => m.champion)?.id ?? null, models, invalid });
        return 0;
      }
      case 'show':
        printJson(await registry.find((values as ValuesOf<typeof MODELS_SHOW>).id));
        return 0;
      case 'promote': {
        const v = values as ValuesOf<typeof MODELS_PROMOTE>;
        const m = await registry.promote(v.id, v['allow-ungated']);
        info(`model ${m.id} (${m.name}) is the champion in ${v.dir}`);
        printJson({ champion: m.id, name: m.name, dir: m.dir });
        return 0;
      }
      case 'diff': {
        const v = values as ValuesOf<typeof MODELS_DIFF>;
        printJson(diffModels(await registry.find(v.a), await registry.find(v.b)));
        return 0;
      }
      case 'drift': {
        const v = values as ValuesOf<typeof MODELS_DRIFT>;
        printJson(await drift((await registry.find(v.id)).dir, v.dataset, v.window));
        return 0;
      }
      default:
        throw new UsageError(`unknown models subcommand ${JSON.stringify(sub)}`);
    }
  } catch (e) {
    if (e instanceof ModelError && (e.code === 'MODEL_NOT_FOUND' || e.code === 'MODEL_UNGATED')) throw new UsageError(e.message, { cause: e });
    throw e;
  }
}

/**
 * Feeds a dataset's feature rows, in order, through a drift monitor against the model's training
 * distributions: the first retrain recommendation (with the row's bar end) and each feature's
 * largest PSI over the windows.
 */
async function drift(dir: string, datasetPath: string, window: number): Promise<Record<string, unknown>> {
  const manifest = await readManifest(dir);
  const reference = manifest.evaluation?.drift;
  if (reference === undefined) throw new UsageError(`model ${manifest.modelId} has no training distributions (trained before drift references): retrain it`);
  const ds = await readDataset(datasetPath);
  const index = manifest.featureNames.map((n) => ds.featureNames.indexOf(n));
  const missing = manifest.featureNames.filter((_, j) => index[j] === -1);
  if (missing.length) throw new UsageError(`the dataset lacks ${missing.length} of the model's features: ${missing.slice(0, 5).join(', ')}`);
  const monitor = new DriftMonitor(reference, window);
  const row = new Float64Array(index.length);
  const maxPsi: Record<string, number> = {};
  let first: Record<string, unknown> | null = null;
  for (let i = 0; i < ds.rows; i++) {
    for (let j = 0; j < index.length; j++) row[j] = ds.features[i * ds.dim + (index[j] as number)] as number;
    monitor.add(row);
    if (i % 10 !== 9 && i !== ds.rows - 1) continue; // a report every 10 rows bounds the cost
    const r = monitor.report();
    if (r === null) continue;
    for (const [k, v] of Object.entries(r.psi)) maxPsi[k] = Math.max(maxPsi[k] ?? 0, v);
    if (first === null && r.recommendation !== null) first = { row: i, barEnd: ds.barEnd[i], ...r.recommendation };
  }
  return { model: manifest.modelId, rows: ds.rows, window, recommendation: first, maxPsi };
}
