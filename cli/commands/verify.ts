import { verifyLog } from '../../research/verify.ts';
import type { ValuesOf } from '../command-spec.ts';
import { loadModel } from '../load-model.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { info, printJson } from '../output.ts';
import type { VERIFY } from '../specs/verify.ts';

export async function run(values: ValuesOf<typeof VERIFY>): Promise<number> {
  const predictor = await loadModel(values.model);
  const access = await openLogFrom(logSource(values));
  try {
    info('verify: replaying twice and comparing with the recorded signals...');
    const r = await verifyLog({ log: access.log, decode: access.decode, encode: access.encode, predictor });
    printJson(r.identical ? { identical: true, signals: r.signals } : r);
    return r.identical ? 0 : 1;
  } finally {
    await access.close();
  }
}
