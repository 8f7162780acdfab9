import { TickflowError } from '../../lib/errors.ts';

/**
 * Errors of the Kafka event log. `retriable` is true where the same call may succeed later (a
 * broker that is down, a leader moving, a topic being auto-created); bad arguments and missing
 * topics on a broker without auto-creation are not.
 */
export class KafkaLogError extends TickflowError {}

/** kafkajs errors that mean "the cluster is not reachable or not ready yet", worth waiting for. */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSNumberOfRetriesExceeded',
]);

/** Whether a failure is transient: kafkajs's own `retriable` flag, or an unreachable broker. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof KafkaLogError) return err.retriable;
  const e = err as Error & { retriable?: boolean; cause?: unknown };
  if (e.name === 'KafkaJSNumberOfRetriesExceeded') return e.cause === undefined || isTransient(e.cause) || TRANSIENT_NAMES.has((e.cause as Error).name);
  if (TRANSIENT_NAMES.has(e.name)) return true;
  if (e.name.startsWith('KafkaJS')) return e.retriable === true;
  const code = (e as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE';
}

