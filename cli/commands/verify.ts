import { loadPredictor } from '../../model/predictor.ts';
import { verifyLog } from '../../research/verify.ts';
import { parse, requireString } from '../args.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { info, printJson } from '../output.ts';

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { log: { type: 'string' }, broker: { type: 'string' }, registry: { type: 'string' }, model: { type: 'string' }, 'hold-only': { type: 'boolean', default: false } });
  const predictor = await loadPredictor(requireString(values.model, 'model'));
  const access = await openLogFrom(logSource(values));
  try {
    info('verify: replaying twice and comparing with the recorded signals...');
    const r = await verifyLog({ log: access.log, decode: access.decode, encode: access.encode, predictor, holdOnly: values['hold-only'] });
    printJson(r.identical ? { identical: true, signals: r.signals } : r);
    return r.identical ? 0 : 1;
  } finally {
    await access.close();
  }
}
