import { existsSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { ProgressBar } from '../../model/progress.ts';
import { CLOSED_WATERMARK } from '../../schemas/index.ts';
import { markProgress } from '../../hosts/group/feed-progress.ts';
import { IngestInputError, ingestFile, type IngestOptions } from '../../sources/ingest/index.ts';
import type { ValuesOf } from '../command-spec.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { cliLogger, printJson, progressStream, UsageError } from '../output.ts';
import type { INGEST } from '../specs/ingest.ts';
import { acquireKafkaWriterLock, acquireWriterLock } from '../writer-lock.ts';

/** `tickflow ingest --log <dir> --file <path> --format <format> [...]`: see docs/ingest.md. */
export async function run(values: ValuesOf<typeof INGEST>): Promise<number> {
  const { format } = values;
  const options: IngestOptions = {
    file: values.file,
    format,
    rate: values.rate,
    dividendYield: values['dividend-yield'],
    ...(values.symbol !== undefined ? { symbol: values.symbol } : {}),
    ...(values.tz !== undefined ? { tz: values.tz } : {}),
    ...(values.stamp !== undefined ? { stamp: values.stamp } : {}),
    ...(values.interval !== undefined ? { interval: values.interval } : {}),
    ...(values.calendar !== undefined ? { calendar: values.calendar } : {}),
    ...(values['snapshot-window'] !== undefined ? { snapshotWindowMs: values['snapshot-window'] } : {}),
    ...(values.map !== undefined ? { map: values.map } : {}),
    ...(values['date-format'] !== undefined ? { dateFormat: values['date-format'] } : {}),
    premiumIn: values['premium-in'],
    maxTimeGapMs: values['max-time-gap'],
    futureToleranceMs: values['future-tolerance'],
    maxLineBytes: values['max-line-bytes'],
    maxChainRows: values['max-chain-rows'],
    parquetStallMs: values['parquet-stall-timeout'],
  };
  // A log this import creates is removed again if the import fails: no empty log left behind.
  const created = values.log !== undefined && !existsSync(values.log) ? values.log : null;
  let ok = false;
  // One writer per log (embedded: a lock file; Kafka: a lock group, D90): a second import of the
  // same file would duplicate it.
  const kafkaLock = values.broker !== undefined && values.log === undefined ? await acquireKafkaWriterLock(values.broker, 'ingest') : null;
  const releaseFile = values.log !== undefined && values.broker === undefined ? acquireWriterLock(values.log, 'ingest') : (): void => undefined;
  const release = async (): Promise<void> => {
    releaseFile();
    await kafkaLock?.lock.release();
  };
  const access = await openLogFrom(logSource(values), kafkaLock ? { writer: kafkaLock.fence } : {}).catch(async (e: unknown) => {
    await release();
    if (created !== null) rmSync(created, { recursive: true, force: true });
    throw e;
  });
  try {
    // On Kafka, processors may be running: hold them back while this import appends (a killed
    // import keeps holding them until it is run again), release them when it is done.
    const source = `ingest:${basename(options.file)}`;
    const mark = values.broker !== undefined ? (w: number): Promise<void> => markProgress(access.log, access.encode, source, w) : null;
    await mark?.(-1);
    try {
      const bar = new ProgressBar({ label: `ingest ${format}`, stream: progressStream() });
      const summary = await ingestFile(access, options, (done, total) => bar.update(done, total));
      bar.finish();
      printJson(summary);
      const ahead = summary.reasons['ahead-of-live-feed'] ?? 0;
      if (ahead > 0 && summary.liveFeed != null) {
        const f = summary.liveFeed as { source: string; tsInit: number };
        const what = ahead === 1 ? `1 ${summary.unit} dated after the live feed ${f.source} (${new Date(f.tsInit).toISOString()}) was` : `${ahead} ${summary.unit}s dated after the live feed ${f.source} (${new Date(f.tsInit).toISOString()}) were`;
        // Counted in the summary too; said here because a refused import otherwise reads as a success.
        cliLogger().warn({ event: 'ahead-of-live-feed', events: ahead, source: f.source, tsInit: f.tsInit }, `${what} not imported (ahead-of-live-feed): import them into a log of their own, or once the feed has passed their dates`);
      }
      ok = true;
      return 0;
    } catch (e) {
      if (e instanceof IngestInputError) throw new UsageError(e.message, { cause: e });
      throw e;
    } finally {
      await mark?.(CLOSED_WATERMARK);
    }
  } finally {
    await access.close();
    await release();
    if (!ok && created !== null) rmSync(created, { recursive: true, force: true });
  }
}
