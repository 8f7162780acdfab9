import { defineCommand } from '../command-spec.ts';
import { modelDir, num, toggle } from '../flags.ts';
import { checkLogSource, readLogFlags } from './log-source.ts';

export const VERIFY = defineCommand({
  name: 'verify',
  summary: 'Replays the log twice through the model and compares the signals byte for byte with each other and with the signals the live run recorded.',
  output: '{"identical":true,"signals":N,"inputsComplete":true,"inputs":[…]} (exit 0), or the first difference or the missing inputs (exit 1)',
  flags: {
    ...readLogFlags(),
    model: modelDir({ help: 'the model the live run used', required: true }),
    'hold-only': toggle('the live run used --hold-only (HOLD signals only): replay the same way (the default for a model that failed its gates)'),
    'allow-ungated': toggle('the live run traded a model that failed its gates (start --allow-ungated): replay with its BUY/SELL signals'),
    'progress-seconds': num({ help: 'a progress line on stderr (inputs done / total, rate) at most this often during each replay', gt: 0, default: '5' }),
  },
  check: checkLogSource,
});
