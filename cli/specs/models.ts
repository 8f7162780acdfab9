import type { z } from 'zod';
import { defineCommand } from '../command-spec.ts';
import { existingFile, num, positional, text, toggle, type Flag } from '../flags.ts';

/** Literal copies so that parsing loads no model code; test/unit/cli pins them to model/. */
export const DEFAULT_MODELS_DIR = 'var/models';

const dir = text({ help: 'the model registry: one model per subdirectory', arg: 'dir', default: DEFAULT_MODELS_DIR });
const id = (help: string): Flag<z.ZodType<string>> => positional(text({ help, arg: 'id', required: true }));

export const MODELS_LIST = defineCommand({
  name: 'models list',
  summary: 'Lists the models of the registry (a table on stderr, * = champion).',
  output: '{"dir":"…","champion":id|null,"models":[…],"invalid":[…]}',
  flags: { dir },
});

export const MODELS_SHOW = defineCommand({
  name: 'models show',
  summary: 'One model of the registry, by model id, id prefix or subdirectory name.',
  output: '{id, name, dir, family, created, datasetSha256, logRange, featureSetHash, rows, gates, metrics, cv, champion}',
  flags: { id: id('the model: id, id prefix or subdirectory name'), dir },
});

export const MODELS_PROMOTE = defineCommand({
  name: 'models promote',
  summary: 'Makes a model the champion (<dir>/champion), which start and run processors use when --model is not given; a model that failed its gates is refused unless --allow-ungated.',
  output: '{"champion":id,"name":"…","dir":"…"}',
  flags: { id: id('the model to promote'), 'allow-ungated': toggle('promote a model that failed its validation gates'), dir },
});

export const MODELS_DIFF = defineCommand({
  name: 'models diff',
  summary: "Two models side by side: family, dataset, log range, feature set, gates, cross-validation and every metric.",
  output: '{"family":{a,b,same},…,"metrics":{<name>:{a,b}}}',
  flags: { a: id('the first model'), b: id('the second model'), dir },
});

export const MODELS_DRIFT = defineCommand({
  name: 'models drift',
  summary: "Feeds a dataset's feature rows, in order, through a rolling-window PSI against the model's training distributions.",
  output: '{"model":id,"rows":N,"window":N,"recommendation":{row, barEnd, retrain, reason, priority, features}|null,"maxPsi":{<feature>:x}}',
  flags: {
    id: id('the model'),
    dataset: existingFile({ help: 'the dataset (from `tickflow replay dataset`) to check', required: true }),
    window: num({ help: 'rows per PSI window', int: true, min: 10, default: '500' }),
    dir,
  },
});

export const MODELS = { list: MODELS_LIST, show: MODELS_SHOW, promote: MODELS_PROMOTE, diff: MODELS_DIFF, drift: MODELS_DRIFT };
