import type { Client } from '@confluentinc/schemaregistry';
import type { Serde } from '../serde/serde.ts';
import { KafkaEventLog, type KafkaEventLogOptions } from './kafka-event-log.ts';
import { openKafkaSchemas } from './kafka-schemas.ts';

export interface KafkaLog {
  log: KafkaEventLog;
  serde: Serde;
  registry: Client;
  /** Closes the log and the registry client. */
  close(): Promise<void>;
}

export interface OpenKafkaLogOptions extends KafkaEventLogOptions {
  /** Confluent Schema Registry URL; without it, schemas come from the embedded registry in `schemaDir`. */
  registryUrl?: string;
  /** Embedded registry directory when there is no registryUrl (default: defaultSchemaDir()). */
  schemaDir?: string;
}

/** The Kafka counterpart of openEmbeddedLog: the event log on `brokers` and its serde. */
export async function openKafkaLog(options: OpenKafkaLogOptions): Promise<KafkaLog> {
  const { registryUrl, schemaDir, ...logOptions } = options;
  const schemas = await openKafkaSchemas({ ...(registryUrl !== undefined ? { registryUrl } : {}), ...(schemaDir !== undefined ? { schemaDir } : {}) });
  let log: KafkaEventLog;
  try {
    log = await KafkaEventLog.connect(logOptions);
  } catch (e) {
    await schemas.close();
    throw e;
  }
  return {
    log,
    serde: schemas.serde,
    registry: schemas.registry,
    close: async () => void (await Promise.all([log.close(), schemas.close()])),
  };
}
