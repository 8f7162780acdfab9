import type { MirrorEnd } from '../../storage/kafka/mirror-log.ts';
import { mirrorLog } from '../../storage/kafka/mirror-log.ts';
import { openKafkaLog } from '../../storage/kafka/open-kafka-log.ts';
import { openEmbeddedLog } from '../../storage/log/open-log.ts';
import { markProgress } from '../../hosts/group/feed-progress.ts';
import { CLOSED_WATERMARK } from '../../schemas/index.ts';
import type { ValuesOf } from '../command-spec.ts';
import { cliLogger, info, printJson } from '../output.ts';
import type { MIRROR } from '../specs/mirror.ts';
import { acquireKafkaWriterLock, acquireWriterLock } from '../writer-lock.ts';
import type { WriterFence } from '../../storage/kafka/kafka-event-log.ts';

const MIRROR_SOURCE = 'mirror';

/**
 * Copies every topic and partition between the embedded log and Kafka (either direction, or
 * log to log), preserving partitions, keys, timestamps and order per partition. `kafka` names
 * the cluster given by --broker (write ./kafka for a directory called kafka).
 */
export async function run(values: ValuesOf<typeof MIRROR>): Promise<number> {
  const { from, to } = values;
  // The source is only read: an embedded source opens read-only (nothing in its directory is
  // created or written; the spec has checked that it is a log already).
  const open = async (where: string, readOnly: boolean, writer?: WriterFence): Promise<MirrorEnd & { serde: { encode(topic: string, value: object): Uint8Array }; close(): Promise<void> }> => {
    if (where !== 'kafka') return openEmbeddedLog(where, readOnly ? { readOnly: true } : {});
    return openKafkaLog({
      brokers: values.broker!.split(',').map((b) => b.trim()).filter(Boolean),
      logger: cliLogger().child({ component: 'kafka' }),
      ...(values.registry ? { registryUrl: values.registry } : {}),
      ...(values['schema-dir'] ? { schemaDir: values['schema-dir'] } : {}),
      ...(writer !== undefined ? { writer } : {}),
    });
  };
  // One writer per log: the target directory, or the cluster (D90), is locked while the mirror
  // appends to it; on Kafka each append first checks that the lock is still held.
  const kafkaLock = to === 'kafka' ? await acquireKafkaWriterLock(values.broker!, 'mirror') : null;
  const releaseFile = to !== 'kafka' ? acquireWriterLock(to, 'mirror') : (): void => undefined;
  const release = async (): Promise<void> => {
    releaseFile();
    await kafkaLock?.lock.release();
  };
  const source = await open(from, true).catch(async (e: unknown) => {
    await release();
    throw e;
  });
  try {
    const target = await open(to, false, kafkaLock ? kafkaLock.fence : undefined);
    try {
      let last = 0;
      // Processors on Kafka must not read a half-copied history: hold them back while copying
      // (watermark -1), release them when done (closed). See hosts/group/feed-progress.ts.
      const mark = to === 'kafka' ? (w: number): Promise<void> => markProgress(target.log, (t, v) => target.serde.encode(t, v), MIRROR_SOURCE, w) : null;
      await mark?.(-1);
      const result = await mirrorLog(source, target, {
        ...(values.topics ? { topics: values.topics } : {}),
        onProgress: (topic, partition, copied) => {
          if (copied - last >= 100_000 || copied < last) info(`mirror: ${topic}/${partition} ${(last = copied)} records`);
        },
      });
      await mark?.(CLOSED_WATERMARK);
      printJson(result);
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
    await release();
  }
}
