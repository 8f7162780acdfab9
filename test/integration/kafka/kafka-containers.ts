/**
 * A real Kafka broker (and Schema Registry) for the tests the librdkafka mock cannot serve (topic
 * configs, timestamp lookups, the REST registry), through testcontainers with the images of
 * docker-compose.yml. Where no Docker engine answers, `start*` return `{ skip }` naming what is
 * missing. Not exercised on the build machines (no Docker there): see docs/kafka.md.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface KafkaContainers {
  brokers: string[];
  /** Set when started with a registry. */
  registryUrl?: string;
  stop(): Promise<void>;
}

const COMPOSE = join(import.meta.dirname, '..', '..', '..', 'docker-compose.yml');
const NO_DOCKER = 'needs a Docker engine for testcontainers (none answers here)';

/** The image of a docker-compose.yml service, so tests and compose run the same versions. */
export function composeImage(service: 'kafka' | 'schema-registry' | 'clickhouse'): string {
  const text = readFileSync(COMPOSE, 'utf8');
  const block = text.split(/\n  (?=[a-z-]+:\n)/).find((b) => b.startsWith(`${service}:`));
  const image = block && /\n\s+image:\s*(\S+)/.exec(block)?.[1];
  if (!image) throw new Error(`no image for service ${service} in ${COMPOSE}`);
  return image;
}

export async function startKafkaContainers(options: { registry: boolean }): Promise<KafkaContainers | { skip: string }> {
  const tc = await import('testcontainers');
  try {
    await tc.getContainerRuntimeClient();
  } catch {
    return { skip: NO_DOCKER };
  }
  const network = await new tc.Network().start();
  const port = await freePort();
  const kafka = await new tc.GenericContainer(composeImage('kafka'))
    .withNetwork(network)
    .withNetworkAliases('kafka')
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'INTERNAL://:19092,EXTERNAL://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `INTERNAL://kafka:19092,EXTERNAL://localhost:${port}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '4',
    })
    .withWaitStrategy(tc.Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  let registry: Awaited<ReturnType<InstanceType<typeof tc.GenericContainer>['start']>> | undefined;
  try {
    if (options.registry) {
      registry = await new tc.GenericContainer(composeImage('schema-registry'))
        .withNetwork(network)
        .withExposedPorts(8081)
        .withEnvironment({
          SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
          SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
          SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:19092',
          SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR: '1',
        })
        .withWaitStrategy(tc.Wait.forHttp('/subjects', 8081))
        .withStartupTimeout(120_000)
        .start();
    }
  } catch (e) {
    await kafka.stop();
    await network.stop();
    throw e;
  }
  const started = registry;
  return {
    brokers: [`localhost:${port}`],
    ...(started ? { registryUrl: `http://${started.getHost()}:${started.getMappedPort(8081)}` } : {}),
    async stop() {
      await started?.stop();
      await kafka.stop();
      await network.stop();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
