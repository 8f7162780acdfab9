import { tune, type TunableFamily } from '../../model/evaluation/tune.ts';
import { ModelError } from '../../model/errors.ts';
import { ProgressBar } from '../../model/progress.ts';
import type { ValuesOf } from '../command-spec.ts';
import { cliLogger, printJson, progressStream, UsageError } from '../output.ts';
import type { TUNE } from '../specs/tune.ts';

/** `tickflow tune`: seeded hyper-parameter search scored by purged-CV log loss (model/evaluation/tune.ts). */
export async function run(values: ValuesOf<typeof TUNE>): Promise<number> {
  const bar = new ProgressBar({ label: 'tune', stream: progressStream() });
  try {
    const r = await tune({
      datasetPath: values.dataset,
      outDir: values.out,
      trials: values.trials,
      seed: values.seed,
      families: values.families as TunableFamily[],
      sampler: values.sampler,
      ...(values['time-budget'] !== undefined ? { timeBudgetMs: values['time-budget'] } : {}),
      cvFolds: values['cv-folds'],
      maxEpochs: values['max-epochs'],
      eta: values.eta,
      logger: cliLogger(),
      onProgress: (done, total, last) => bar.update(done, total, `trial ${last.trial} rung ${last.rung}: cv log loss ${last.cvLogLoss.toFixed(4)}`),
    });
    bar.finish();
    printJson(r);
    return 0;
  } catch (e) {
    if (e instanceof ModelError && e.code === 'DATASET_INVALID') throw new UsageError(e.message, { cause: e });
    throw e;
  }
}
