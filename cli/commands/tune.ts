import { TUNABLE_FAMILIES, tune, type TunableFamily } from '../../model/evaluation/tune.ts';
import { ModelError } from '../../model/errors.ts';
import { ProgressBar } from '../../model/progress.ts';
import { parse, parseDuration, requireString, toNumber } from '../args.ts';
import { printJson, UsageError } from '../output.ts';

/** `tickflow tune`: seeded hyper-parameter search scored by purged-CV log loss (model/evaluation/tune.ts). */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    dataset: { type: 'string' },
    out: { type: 'string' },
    trials: { type: 'string' },
    seed: { type: 'string' },
    families: { type: 'string' },
    'time-budget': { type: 'string' },
    'cv-folds': { type: 'string' },
    'max-epochs': { type: 'string' },
    eta: { type: 'string' },
  });
  const families = (values.families ?? 'mlp').split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of families) {
    if (!TUNABLE_FAMILIES.includes(f as TunableFamily)) throw new UsageError(`--families: ${f} cannot be tuned (tunable: ${TUNABLE_FAMILIES.join(', ')})`);
  }
  const positiveInt = (v: string | undefined, flag: string, fallback: number, min = 1): number => {
    const n = toNumber(v, flag, fallback);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  const bar = new ProgressBar({ label: 'tune' });
  try {
    const r = await tune({
      datasetPath: requireString(values.dataset, 'dataset'),
      outDir: requireString(values.out, 'out'),
      trials: positiveInt(values.trials, 'trials', 20),
      seed: toNumber(values.seed, 'seed', 42),
      families: families as TunableFamily[],
      ...(values['time-budget'] ? { timeBudgetMs: parseDuration(values['time-budget'], 'time-budget') } : {}),
      cvFolds: positiveInt(values['cv-folds'], 'cv-folds', 5, 2),
      maxEpochs: positiveInt(values['max-epochs'], 'max-epochs', 30),
      eta: positiveInt(values.eta, 'eta', 3, 2),
      onProgress: (done, total, last) => bar.update(done, total, `trial ${last.trial} rung ${last.rung}: cv log loss ${last.cvLogLoss.toFixed(4)}`),
    });
    bar.finish();
    printJson(r);
    return 0;
  } catch (e) {
    if (e instanceof ModelError && e.code === 'DATASET_INVALID') throw new UsageError(e.message);
    throw e;
  }
}
