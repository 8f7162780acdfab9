import { basename } from 'node:path';
import { ProgressBar } from '../../model/progress.ts';
import { CLOSED_WATERMARK } from '../../schemas/index.ts';
import { markProgress } from '../../hosts/group/feed-progress.ts';
import { isCalendarName } from '../../processors/calendar/index.ts';
import { INGEST_FORMATS, IngestInputError, ingestFile, type IngestFormat, type IngestOptions } from '../../sources/ingest/index.ts';
import { parse, requireString, toNumber } from '../args.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { printJson, UsageError } from '../output.ts';
import { acquireWriterLock } from '../writer-lock.ts';

/** `tickflow ingest --log <dir> --file <path> --format <format> [...]`: see docs/ingest.md. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    log: { type: 'string' }, broker: { type: 'string' }, registry: { type: 'string' }, file: { type: 'string' }, format: { type: 'string' },
    symbol: { type: 'string' }, tz: { type: 'string' }, stamp: { type: 'string' },
    interval: { type: 'string' }, calendar: { type: 'string' },
    rate: { type: 'string' }, 'dividend-yield': { type: 'string' },
  });
  if (values.broker === undefined) requireString(values.log, 'log');
  const format = requireString(values.format, 'format');
  if (!(INGEST_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${INGEST_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  if (values.stamp !== undefined && values.stamp !== 'open' && values.stamp !== 'close') throw new UsageError('--stamp must be open or close');
  if (values.calendar !== undefined && !isCalendarName(values.calendar)) throw new UsageError('--calendar must be crypto, nse or us-equity');
  if (values.interval !== undefined && !/^\d+[smhd]$/.test(values.interval)) throw new UsageError('--interval must be like 1m, 5m, 1h or 1d');
  const options: IngestOptions = {
    file: requireString(values.file, 'file'),
    format: format as IngestFormat,
    rate: toNumber(values.rate, 'rate', 0),
    dividendYield: toNumber(values['dividend-yield'], 'dividend-yield', 0),
    ...(values.symbol !== undefined ? { symbol: values.symbol } : {}),
    ...(values.tz !== undefined ? { tz: values.tz } : {}),
    ...(values.stamp !== undefined ? { stamp: values.stamp } : {}),
    ...(values.interval !== undefined ? { interval: values.interval } : {}),
    ...(values.calendar !== undefined && isCalendarName(values.calendar) ? { calendar: values.calendar } : {}),
  };
  // One writer per embedded log: a second import of the same file would duplicate it.
  const release = values.log !== undefined && values.broker === undefined ? acquireWriterLock(values.log, 'ingest') : (): void => undefined;
  const access = await openLogFrom(logSource(values)).catch((e: unknown) => {
    release();
    throw e;
  });
  // On Kafka, processors may be running: hold them back while this import appends (a killed
  // import keeps holding them until it is run again), release them when it is done.
  const source = `ingest:${basename(options.file)}`;
  const mark = values.broker !== undefined ? (w: number): Promise<void> => markProgress(access.log, access.encode, source, w) : null;
  await mark?.(-1);
  try {
    const bar = new ProgressBar({ label: `ingest ${format}` });
    const summary = await ingestFile(access, options, (done, total) => bar.update(done, total));
    bar.finish();
    printJson(summary);
    return 0;
  } catch (e) {
    if (e instanceof IngestInputError) throw new UsageError(e.message);
    throw e;
  } finally {
    await mark?.(CLOSED_WATERMARK);
    await access.close();
    release();
  }
}
