import { defineCommand } from '../command-spec.ts';
import { duration, existingFile, list, num, oneOf, text } from '../flags.ts';

/** Literal copies so that parsing loads no model code; test/unit/cli pins them to model/evaluation/tune.ts. */
export const TUNABLE_FAMILY_NAMES = ['logistic', 'gbdt', 'mlp'] as const;
export const SAMPLER_NAMES = ['random', 'tpe'] as const;

export const TUNE = defineCommand({
  name: 'tune',
  summary: "Seeded hyper-parameter search over the families by purged-CV log loss (the holdout is never used): each family's defaults, then random configurations with successive halving, or a TPE sampler; resumes from <out>/trials.jsonl.",
  output: '{"sampler":"random"|"tpe","best":{trial, rung, family, params, epochs, foldLogLoss, cvLogLoss, cvAuc, seconds},"ledger":{"path":…,"evaluations":N,…,"stoppedBy":"done"|"time-budget"}}',
  flags: {
    dataset: existingFile({ help: 'the dataset written by `tickflow replay dataset` (.csv or .parquet)', required: true }),
    out: text({ help: 'directory for trials.jsonl and best.json', arg: 'dir', required: true }),
    trials: num({ help: 'configurations drawn', int: true, min: 1, default: '20' }),
    seed: num({ help: 'search seed', int: true, min: 0, default: '42' }),
    families: list({ help: `families to tune (tunable: ${TUNABLE_FAMILY_NAMES.join(', ')})`, default: TUNABLE_FAMILY_NAMES.join(',') }),
    sampler: oneOf(SAMPLER_NAMES, { help: 'random: random configurations then successive halving; tpe: a tree-structured Parzen estimator proposes each trial from the earlier ones', default: 'random' }),
    'time-budget': duration({ help: 'stop starting evaluations after this much wall time' }),
    'cv-folds': num({ help: 'purged cross-validation folds', int: true, min: 2, default: '5' }),
    'max-epochs': num({ help: 'full budget: MLP epochs (GBDT rounds scale with it); the last rung of random, every trial of tpe', int: true, min: 1, default: '30' }),
    eta: num({ help: 'successive-halving factor (random): each rung keeps the best 1/eta', int: true, min: 2, default: '3' }),
  },
  check: (v) => {
    const bad = v.families.find((f) => !(TUNABLE_FAMILY_NAMES as readonly string[]).includes(f));
    return bad === undefined ? undefined : `--families: ${bad} cannot be tuned (tunable: ${TUNABLE_FAMILY_NAMES.join(', ')})`;
  },
});
