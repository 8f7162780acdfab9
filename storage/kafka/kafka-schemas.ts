import { join } from 'node:path';
import { homedir } from 'node:os';
import { Compatibility, SchemaRegistryClient, type Client } from '@confluentinc/schemaregistry';
import { TOPIC_LIST } from '../../schemas/topics.ts';
import { LmdbSchemaRegistry } from '../serde/lmdb-schema-registry.ts';
import { Serde, valueSubject } from '../serde/serde.ts';

export interface KafkaSchemas {
  serde: Serde;
  registry: Client;
  close(): Promise<void>;
}

/**
 * Where schemas live when Kafka runs without a Schema Registry: an embedded registry directory
 * (the same LmdbSchemaRegistry an embedded log keeps in its directory). The catalogue is registered
 * in a fixed order into it, so a fresh directory gives every machine the same ids.
 */
export function defaultSchemaDir(): string {
  return process.env['TICKFLOW_SCHEMA_DIR'] ?? join(homedir(), '.tickflow', 'kafka-schemas');
}

/**
 * The serde for a Kafka log. With `registryUrl`: Confluent Schema Registry through the library's
 * REST client, TopicNameStrategy subjects (`<topic>-value`), the catalogue's explicit schemas
 * registered there under BACKWARD compatibility. Without: the embedded registry in `schemaDir`.
 */
export async function openKafkaSchemas(options: { registryUrl?: string; schemaDir?: string } = {}): Promise<KafkaSchemas> {
  if (options.registryUrl !== undefined) {
    const registry = new SchemaRegistryClient({ baseURLs: [options.registryUrl] });
    const serde = await registerCatalogue(registry);
    return { serde, registry, close: () => Promise.resolve(registry.close()) };
  }
  const registry = await LmdbSchemaRegistry.open(options.schemaDir ?? defaultSchemaDir());
  try {
    const serde = new Serde(registry);
    await serde.registerCatalogue();
    return { serde, registry, close: () => registry.close() };
  } catch (e) {
    await registry.close();
    throw e;
  }
}

/**
 * Registers the catalogue in a shared Schema Registry: each tickflow subject set to BACKWARD
 * (a new schema must read the previous one's data), then the catalogue schemas, then every
 * version of tickflow's own subjects loaded so older records decode. Subjects of other
 * applications in the same registry are left alone (they may not even be Avro).
 */
export async function registerCatalogue(registry: Client): Promise<Serde> {
  const serde = new Serde(registry);
  for (const spec of TOPIC_LIST) {
    await registry.updateCompatibility(valueSubject(spec.name), Compatibility.BACKWARD);
    await serde.registerTopic(spec.name, spec.schema);
  }
  for (const spec of TOPIC_LIST) {
    const subject = valueSubject(spec.name);
    for (const version of await registry.getAllVersions(subject)) {
      const meta = await registry.getSchemaMetadata(subject, version, false);
      if (meta.id !== undefined) await serde.loadSchema(meta.id);
    }
  }
  return serde;
}
