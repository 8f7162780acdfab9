import { Kafka, logLevel } from 'kafkajs';
import { createCatalogueTopics } from '../../storage/kafka/create-topics.ts';
import { DEFAULT_BACKOFF, withBackoff } from '../../storage/kafka/with-backoff.ts';
import type { ValuesOf } from '../command-spec.ts';
import { cliLogger, info, printJson } from '../output.ts';
import type { TOPICS_CREATE } from '../specs/topics.ts';

/** `tickflow topics create`: the catalogue's topics on a Kafka cluster (default localhost:9092), idempotently. */
export async function run(values: ValuesOf<typeof TOPICS_CREATE>): Promise<number> {
  const brokers = values.broker.split(',').map((b) => b.trim()).filter(Boolean);
  const replication = values['replication-factor'];
  // kafkajs's own retries stay short: outages are retried (and reported) by withBackoff.
  const retry = { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 };
  const admin = new Kafka({ brokers, clientId: 'tickflow-topics', logLevel: logLevel.NOTHING, connectionTimeout: 3_000, retry }).admin();
  const clusterId = await withBackoff(
    `connect to Kafka at ${brokers.join(',')}`,
    async () => {
      await admin.connect();
      return (await admin.describeCluster()).clusterId;
    },
    DEFAULT_BACKOFF,
    cliLogger().child({ component: 'topics' }),
  );
  try {
    if (clusterId.startsWith('mockCluster')) {
      info("topics: this is librdkafka's mock cluster, which does not implement CreateTopics (topics are auto-created there with 4 partitions on first use)");
      return 1;
    }
    const result = await createCatalogueTopics(admin, undefined, replication);
    for (const m of result.mismatched) info(`topics: ${m.topic} exists with other settings than the catalogue: ${JSON.stringify(m)}`);
    printJson(result);
    return 0;
  } finally {
    await admin.disconnect();
  }
}
