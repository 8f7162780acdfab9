import { readDataset } from '../../model/dataset.ts';
import { DriftMonitor } from '../../model/evaluation/drift.ts';
import { ModelError } from '../../model/errors.ts';
import { readManifest } from '../../model/manifest.ts';
import { DEFAULT_MODELS_DIR, diffModels, ModelRegistry } from '../../model/registry/model-registry.ts';
import { parse, requireString, toNumber } from '../args.ts';
import { info, printJson, UsageError } from '../output.ts';

const USAGE = `usage: tickflow models list|show <id>|promote <id> [--allow-ungated]|diff <id> <id>|drift <id> --dataset <file> [--window 500] [--dir ${DEFAULT_MODELS_DIR}]`;

/** `tickflow models`: the model registry (one model per subdirectory of --dir, and a champion). */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    dir: { type: 'string', default: DEFAULT_MODELS_DIR },
    'allow-ungated': { type: 'boolean', default: false },
    dataset: { type: 'string' },
    window: { type: 'string' },
  });
  const [sub, ...refs] = positionals;
  const registry = new ModelRegistry(values.dir);
  const want = (n: number): string[] => {
    if (refs.length !== n) throw new UsageError(`models ${sub ?? ''} takes ${n} model id${n === 1 ? '' : 's'}\n${USAGE}`);
    return refs;
  };
  try {
    switch (sub) {
      case 'list': {
        want(0);
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
        printJson(await registry.find(want(1)[0] as string));
        return 0;
      case 'promote': {
        const m = await registry.promote(want(1)[0] as string, values['allow-ungated']);
        info(`model ${m.id} (${m.name}) is the champion in ${values.dir}`);
        printJson({ champion: m.id, name: m.name, dir: m.dir });
        return 0;
      }
      case 'diff': {
        const [a, b] = want(2);
        printJson(diffModels(await registry.find(a as string), await registry.find(b as string)));
        return 0;
      }
      case 'drift':
        printJson(await drift(await registry.find(want(1)[0] as string).then((m) => m.dir), values.dataset, toNumber(values.window, 'window', 500)));
        return 0;
      default:
        throw new UsageError(sub === undefined ? USAGE : `unknown models subcommand ${JSON.stringify(sub)}\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof ModelError && (e.code === 'MODEL_NOT_FOUND' || e.code === 'MODEL_UNGATED')) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Feeds a dataset's feature rows, in order, through a drift monitor against the model's training
 * distributions: the first retrain recommendation (with the row's bar end) and each feature's
 * largest PSI over the windows.
 */
async function drift(dir: string, datasetPath: string | undefined, window: number): Promise<Record<string, unknown>> {
  if (!Number.isInteger(window) || window < 10) throw new UsageError(`--window must be an integer >= 10, got ${window}`);
  const manifest = await readManifest(dir);
  const reference = manifest.evaluation?.drift;
  if (reference === undefined) throw new UsageError(`model ${manifest.modelId} has no training distributions (trained before drift references): retrain it`);
  const ds = await readDataset(requireString(datasetPath, 'dataset'));
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
