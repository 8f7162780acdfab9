import { existsSync, readdirSync } from 'node:fs';
import { DEFAULT_SYNTHETIC_CONFIG, syntheticConfig } from '../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../sources/synthetic/write-history.ts';
import { ProgressBar } from '../../model/progress.ts';
import type { ValuesOf } from '../command-spec.ts';
import { openLog } from '../log-access.ts';
import { acquireWriterLock } from '../writer-lock.ts';
import { printJson, progressStream, UsageError } from '../output.ts';
import { parseChangeAt, type GENERATE } from '../specs/generate.ts';

export async function run(values: ValuesOf<typeof GENERATE>): Promise<number> {
  const { out, symbols } = values;
  if (existsSync(out) && readdirSync(out).length > 0) {
    throw new UsageError(`${out} is not empty: generate writes a new log (appending a second history would duplicate it)`);
  }
  const config = syntheticConfig({
    // Known symbols keep their defaults; others start at 100 with a 0.01 tick.
    symbols: symbols.map((symbol) => (DEFAULT_SYNTHETIC_CONFIG.symbols.some((d) => d.symbol === symbol) ? { symbol } : { symbol, initialPrice: 100, tickSize: 0.01 })),
    days: values.days,
    seed: values.seed,
    signalStrength: values['signal-strength'],
    signalChange: values['change-at'] === undefined ? null : { at: parseChangeAt(values['change-at'], DEFAULT_SYNTHETIC_CONFIG.start, values.days), signalStrength: values['strength-after'] },
  });
  const release = acquireWriterLock(out, 'generate');
  const access = await openLog(out).catch((e: unknown) => {
    release();
    throw e;
  });
  try {
    const total = config.start + config.days * 86_400_000;
    const bar = new ProgressBar({ label: 'generate', stream: progressStream() });
    const result = await writeSyntheticHistory(access.log, { encode: access.encode }, config, (p) => bar.update(Math.floor((p.ts - config.start) / 3_600_000), Math.ceil((total - config.start) / 3_600_000), `${p.events} events, market hours`));
    bar.finish();
    printJson({ events: result.events, firstTs: result.firstTs, lastTs: result.lastTs, bayesAuc: result.bayesAuc, signalChange: config.signalChange });
    return 0;
  } finally {
    await access.close();
    release();
  }
}
