import { defineCommand } from '../command-spec.ts';
import { existingFile, num, oneOf, text } from '../flags.ts';

export const TRAIN = defineCommand({
  name: 'train',
  summary: 'Trains a model on a dataset (chronological 70/15/15 split with purge and embargo) and saves it with its manifest.',
  output: '{"modelId":"…","metrics":{…},"baseline":{…},"features":N,"droppedColumns":[…]}',
  flags: {
    dataset: existingFile({ help: 'the dataset written by `tickflow replay dataset` (.csv or .parquet)', required: true }),
    out: text({ help: 'the model directory to write', arg: 'modelDir', required: true }),
    seed: num({ help: 'training seed', int: true, min: 0, default: '42' }),
    epochs: num({ help: 'most epochs (early stopping may end sooner; default: the trainer\'s)', int: true, gt: 0 }),
    backend: oneOf(['wasm', 'cpu', 'tensorflow'], { help: 'tfjs backend (tensorflow falls back to wasm when it cannot load)', default: 'wasm' }),
  },
});
