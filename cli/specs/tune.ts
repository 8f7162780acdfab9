import { defineCommand } from '../command-spec.ts';
import { duration, existingFile, list, num, text } from '../flags.ts';

/** Literal copy so that parsing loads no model code; test/unit/cli pins it to model/evaluation/tune.ts. */
export const TUNABLE_FAMILY_NAMES = ['mlp'] as const;

export const TUNE = defineCommand({
  name: 'tune',
  summary: 'Seeded hyper-parameter search: random configurations, then successive halving by purged-CV log loss (the holdout is never used); resumes from <out>/trials.jsonl.',
  output: '{"best":{trial, rung, family, params, epochs, foldLogLoss, cvLogLoss, cvAuc, seconds},"ledger":{"path":…,"evaluations":N,…,"stoppedBy":"done"|"time-budget"}}',
  flags: {
    dataset: existingFile({ help: 'the dataset written by `tickflow replay dataset` (.csv or .parquet)', required: true }),
    out: text({ help: 'directory for trials.jsonl and best.json', arg: 'dir', required: true }),
    trials: num({ help: 'configurations drawn', int: true, min: 1, default: '20' }),
    seed: num({ help: 'search seed', int: true, min: 0, default: '42' }),
    families: list({ help: `families to tune (tunable: ${TUNABLE_FAMILY_NAMES.join(', ')})`, default: 'mlp' }),
    'time-budget': duration({ help: 'stop starting evaluations after this much wall time' }),
    'cv-folds': num({ help: 'purged cross-validation folds', int: true, min: 2, default: '5' }),
    'max-epochs': num({ help: 'epochs of the last rung', int: true, min: 1, default: '30' }),
    eta: num({ help: 'successive-halving factor: each rung keeps the best 1/eta', int: true, min: 2, default: '3' }),
  },
  check: (v) => {
    const bad = v.families.find((f) => !(TUNABLE_FAMILY_NAMES as readonly string[]).includes(f));
    return bad === undefined ? undefined : `--families: ${bad} cannot be tuned (tunable: ${TUNABLE_FAMILY_NAMES.join(', ')})`;
  },
});
