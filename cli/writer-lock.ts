import { acquireWriterLock as acquire, LogLockedError } from '../storage/log/writer-lock.ts';
import type { KafkaWriterLock } from '../storage/kafka/kafka-writer-lock.ts';
import type { WriterFence } from '../storage/kafka/kafka-event-log.ts';
import { cliLogger, UsageError } from './output.ts';

/**
 * Takes the embedded log's writer lock for a command that appends (storage/log/writer-lock.ts);
 * a lock held by a live process is a usage error (exit 2) that names it.
 */
export function acquireWriterLock(logDir: string, command: string): () => void {
  try {
    return acquire(logDir, command);
  } catch (e) {
    if (e instanceof LogLockedError) throw new UsageError(e.message);
    throw e;
  }
}

/** A writer lock on Kafka and the fence to open the log with (storage/kafka/kafka-writer-lock.ts, D90). */
export interface HeldKafkaLock {
  lock: KafkaWriterLock;
  /** For openLogFrom's `writer`: each append first checks that the lock is still held (KafkaWriterLock.ensureHeld). */
  fence: WriterFence;
}

/**
 * Takes the writer lock of the log on Kafka at `broker` (comma-separated host:port) for a command
 * that appends (`start`, `ingest`, `mirror --to kafka`). Held by another live writer: a usage
 * error (exit 2) naming its pid, host and command. A killed holder's lock frees after its session
 * timeout (10 s): this waits for it. kafkajs loads only here.
 */
export async function acquireKafkaWriterLock(broker: string, command: string): Promise<HeldKafkaLock> {
  const { KafkaWriterLock, KafkaLogLockedError } = await import('../storage/kafka/kafka-writer-lock.ts');
  const brokers = broker.split(',').map((b) => b.trim()).filter(Boolean);
  try {
    const lock = await KafkaWriterLock.acquire({ brokers, command, logger: cliLogger().child({ component: 'writer-lock' }) });
    // No transactional id: commit markers would take input offsets, which signals carry as
    // provenance (a Kafka log and its embedded mirror would then differ; D90).
    return { lock, fence: { assertHeld: () => lock.ensureHeld() } };
  } catch (e) {
    if (e instanceof KafkaLogLockedError) throw new UsageError(e.message);
    throw e;
  }
}
