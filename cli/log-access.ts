import type { TopicDecoder } from '../hosts/merged-reader.ts';
import type { EventLog } from '../storage/log/event-log.ts';
import { openEmbeddedLog } from '../storage/log/open-log.ts';
import { cliLogger, UsageError } from './output.ts';
import type { WriterFence } from '../storage/kafka/kafka-event-log.ts';
import type { ProjectorSerde } from '../sinks/clickhouse/index.ts';

export interface LogAccess {
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: TopicDecoder;
  /** The serde itself, for consumers that need more than encode/decode (ClickHouse projector). */
  serde: ProjectorSerde;
  close: () => Promise<void>;
}

/** Opens the embedded log at `dir` with its schema registry (the Kafka path plugs in here). */
export async function openLog(dir: string, options: { readOnly?: boolean } = {}): Promise<LogAccess> {
  const embedded = await openEmbeddedLog(dir, options.readOnly === true ? { readOnly: true } : {});
  const { log, serde } = embedded;
  return {
    log,
    encode: (topic, value) => serde.encode(topic, value),
    decode: (topic, bytes, reuse) => serde.decodeAs(topic, bytes, reuse),
    serde,
    // The log and its schema registry: each holds the directory's lmdb environment (lmdb-env.ts),
    // which closes with its last holder.
    close: () => embedded.close(),
  };
}

/**
 * Opens the log a command was pointed at: the embedded log at `log`, or Kafka at `broker`
 * (comma-separated host:port list) with Confluent Schema Registry at `registry`, or without one
 * the embedded schema registry (see storage/kafka/kafka-schemas.ts). `readOnly` (commands that
 * only read: replay, verify) opens the embedded log with lmdb's readOnly: nothing in its directory
 * is created or written. `writer` (a command holding the Kafka writer lock, cli/writer-lock.ts)
 * makes Kafka appends fenced transactions.
 */
/** Where a log is: an embedded directory, or a broker (with an optional schema registry). */
export interface LogSource {
  log?: string;
  broker?: string;
  registry?: string;
}

export async function openLogFrom(opts: LogSource, mode: { readOnly?: boolean; writer?: WriterFence } = {}): Promise<LogAccess> {
  if (opts.broker !== undefined && opts.log !== undefined) throw new UsageError('give either --log or --broker, not both');
  if (opts.broker === undefined) {
    if (opts.log === undefined) throw new UsageError('missing required option --log (or --broker)');
    if (opts.registry !== undefined) throw new UsageError('--registry is for Kafka (--broker); the embedded log keeps its own registry');
    return openLog(opts.log, mode.readOnly === true ? { readOnly: true } : {});
  }
  const brokers = opts.broker.split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new UsageError('--broker needs host:port[,host:port...]');
  // kafkajs and the Confluent registry client load only here: the embedded log never pays for them.
  const { openKafkaLog } = await import('../storage/kafka/open-kafka-log.ts');
  const kafka = await openKafkaLog({ brokers, logger: cliLogger().child({ component: 'kafka' }), ...(opts.registry !== undefined ? { registryUrl: opts.registry } : {}), ...(mode.writer !== undefined ? { writer: mode.writer } : {}) });
  const { log, serde } = kafka;
  return {
    log,
    encode: (topic, value) => serde.encode(topic, value),
    decode: (topic, bytes, reuse) => serde.decodeAs(topic, bytes, reuse),
    serde,
    close: () => kafka.close(),
  };
}

/** Total records in a topic across its partitions (storage/log/topic-size.ts). */
export { topicSize } from '../storage/log/topic-size.ts';

/** The --log / --broker / --registry options of a command, as openLogFrom takes them. */
export function logSource(values: { log?: string | undefined; broker?: string | undefined; registry?: string | undefined }): LogSource {
  return {
    ...(values.log !== undefined ? { log: values.log } : {}),
    ...(values.broker !== undefined ? { broker: values.broker } : {}),
    ...(values.registry !== undefined ? { registry: values.registry } : {}),
  };
}
