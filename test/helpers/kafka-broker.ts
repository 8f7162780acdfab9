/**
 * A real Apache Kafka broker for tests (kafka/broker.ts: the official jars, KRaft, loopback).
 *
 * - `shared`: the broker named by TICKFLOW_REAL_KAFKA (`.ci/run` starts one for the whole suite,
 *   a contributor gets one from `npm run --silent kafka:up`), else one started for this test
 *   process. For tests that isolate themselves by fresh topic and group names.
 * - `own`: always a broker of this test process, for tests that use the catalogue's topic names
 *   (`topics create`, `mirror`, `run processors`) and so need them empty, or that stop brokers.
 *
 * Without Java (or without Maven and cached jars) the result is `{ skip }` saying what is missing.
 * A broker that fails to start throws: the test file fails, it does not skip.
 * TICKFLOW_KAFKA_BROKERS is another variable: it points librdkafka-mock tests (kafka-mock.ts) elsewhere.
 */
import { kafkaUnavailable, startKafkaCluster, type KafkaCluster } from '../../kafka/broker.ts';
import { tempDir } from './cli.ts';

export const REAL_KAFKA_ENV = 'TICKFLOW_REAL_KAFKA';

export interface RealKafka {
  brokers: string[];
  /** Set when this process started the cluster (absent for the shared external one). */
  cluster?: KafkaCluster;
  stop(): Promise<void>;
}

export type RealKafkaResult = RealKafka | { skip: string };

export async function realKafka(options: { own?: boolean; nodes?: number } = {}): Promise<RealKafkaResult> {
  const external = process.env[REAL_KAFKA_ENV];
  if (!options.own && external) return { brokers: external.split(','), stop: () => Promise.resolve() };
  const unavailable = kafkaUnavailable();
  if (unavailable) return { skip: `needs a real Kafka broker: ${unavailable}` };
  const tmp = tempDir('tickflow-kafka-');
  const nodes = options.nodes ?? 1;
  let cluster: KafkaCluster;
  try {
    cluster = await startKafkaCluster({ dir: tmp.dir, nodes, heap: nodes > 1 ? '384m' : '512m' });
  } catch (e) {
    tmp.cleanup();
    throw e;
  }
  return {
    brokers: cluster.brokers,
    cluster,
    async stop() {
      await cluster.stop();
      tmp.cleanup();
    },
  };
}
