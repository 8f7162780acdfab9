import { verifyLog } from '../../research/verify.ts';
import { verifyInputs } from '../../research/verify-inputs.ts';
import type { ValuesOf } from '../command-spec.ts';
import { loadModel } from '../load-model.ts';
import { replayHoldOnly } from '../model-gates.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { cliLogger, info, printJson } from '../output.ts';
import type { VERIFY } from '../specs/verify.ts';

export async function run(values: ValuesOf<typeof VERIFY>): Promise<number> {
  const predictor = await loadModel(values.model);
  const access = await openLogFrom(logSource(values), { readOnly: true });
  try {
    info('verify: replaying twice and comparing with the recorded signals and model-health reports...');
    const holdOnly = await replayHoldOnly(values.model, { holdOnly: values['hold-only'], allowUngated: values['allow-ungated'] });
    const r = await verifyLog({ log: access.log, decode: access.decode, encode: access.encode, predictor, holdOnly, logger: cliLogger(), progressMs: values['progress-seconds'] * 1000 });
    info('verify: checking that every source\'s sequence of inputs is complete...');
    const inputs = await verifyInputs({ log: access.log, decode: access.decode, encode: access.encode });
    const inputsComplete = inputs.every((s) => s.complete || !s.checked);
    for (const s of inputs) {
      if (!s.checked) info(`verify: source ${s.source} records no parameters to regenerate it: its ${s.events} inputs are not checked`);
      else if (s.firstHole) info(`verify: source ${s.source}: ${s.holes} of its ${s.events} events missing, the first is #${s.firstHole.seq} (${s.firstHole.topic} ${s.firstHole.key} tsInit ${s.firstHole.tsInit})`);
      if (s.firstDuplicate) info(`verify: source ${s.source}: ${s.duplicates} events held more than once, the first is #${s.firstDuplicate.seq} (${s.firstDuplicate.topic} ${s.firstDuplicate.key} tsInit ${s.firstDuplicate.tsInit}, ${s.firstDuplicate.times} times)`);
    }
    printJson(r.identical ? { identical: true, signals: r.signals, modelHealth: r.modelHealth, inputsComplete, inputs } : { ...r, inputsComplete, inputs });
    return r.identical && inputsComplete ? 0 : 1;
  } finally {
    await access.close();
  }
}
