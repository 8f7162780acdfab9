/**
 * A real Apache Kafka broker for tests (kafka/broker.ts: the official jars, KRaft, loopback).
 *
 * - `shared`: the broker named by TICKFLOW_REAL_KAFKA (`.ci/run` starts one for the whole suite,
 *   a contributor gets one from `npm run --silent kafka:up`), else one started for this test
 *   process. For tests that isolate themselves by fresh topic and group names.
 * - `own`: a broker with nothing on it, for tests that use the catalogue's topic names (`topics
 *   create`, `mirror`, `run processors`) and so need them empty. A broker of this test process;
 *   or, where TICKFLOW_REAL_KAFKA_EXCLUSIVE=1 says that the shared broker serves one test file at a
 *   time (npm test's brokers lane, test/run-suite.sh, decisions D94), the shared one emptied
 *   (emptyCluster): every topic and group of the files before deleted, no JVM to start.
 * - `own` with `process: true` (or more than one node): always a cluster of this test process, for
 *   tests that stop, pause or restart its nodes (`cluster` is then set).
 *
 * Without Java (or without Maven and cached jars) the result is `{ skip }` saying what is missing.
 * A broker that fails to start throws: the test file fails, it does not skip.
 * TICKFLOW_KAFKA_BROKERS is another variable: it points librdkafka-mock tests (kafka-mock.ts) elsewhere.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaUnavailable, startKafkaCluster, type KafkaCluster } from '../../kafka/broker.ts';
import { tempDir } from './cli.ts';
import { waitFor } from './wait-for.ts';

export const REAL_KAFKA_ENV = 'TICKFLOW_REAL_KAFKA';
/** Set to 1 where one test file at a time uses the shared broker: `own` then empties it instead of starting one. */
export const REAL_KAFKA_EXCLUSIVE_ENV = 'TICKFLOW_REAL_KAFKA_EXCLUSIVE';

export interface RealKafka {
  brokers: string[];
  /** Set when this process started the cluster (absent for the shared external one). */
  cluster?: KafkaCluster;
  stop(): Promise<void>;
}

export type RealKafkaResult = RealKafka | { skip: string };

export async function realKafka(options: { own?: boolean; nodes?: number; process?: boolean } = {}): Promise<RealKafkaResult> {
  const external = process.env[REAL_KAFKA_ENV];
  if (!options.own && external) return { brokers: external.split(','), stop: () => Promise.resolve() };
  if (options.own && external && process.env[REAL_KAFKA_EXCLUSIVE_ENV] === '1' && !options.process && (options.nodes ?? 1) === 1) {
    const brokers = external.split(',');
    await emptyCluster(brokers);
    return { brokers, stop: () => Promise.resolve() };
  }
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

/** Runs `fn` with a connected admin client of `brokers`, disconnected afterwards whatever happens. */
export async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Empties a cluster for the next scenario of a test file that uses the catalogue's topic names:
 * deletes every topic but the internal ones (`__…`: the broker's offsets and transaction state,
 * the writer lock's topic) and every consumer group, and waits until the broker no longer lists
 * them. Cheaper than a new cluster (a JVM start and a KRaft format, about 8 CPU s a node). A
 * group whose members have not yet left (a killed member's session still open) is retried until
 * `timeoutMs`.
 */
export async function emptyCluster(brokers: string[], timeoutMs = 60_000): Promise<void> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: timeoutMs });
    let left: string[] = [];
    await waitFor(() => `the deleted topics and groups gone (left: ${left.join(', ')})`, async () => {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      if (groups.length > 0) {
        // A group with members still in it is refused (NON_EMPTY_GROUP): asked again on the next poll.
        await admin.deleteGroups(groups).catch(() => undefined);
      }
      const listed = new Set(await admin.listTopics());
      left = [...topics.filter((t) => listed.has(t)), ...(await admin.listGroups()).groups.map((g) => `group ${g.groupId}`)];
      return left.length === 0;
    }, { timeoutMs, intervalMs: 200 });
  } finally {
    await admin.disconnect();
  }
}
