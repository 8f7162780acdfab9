import kafkajs, { type Admin } from 'kafkajs';
import { TOPIC_LIST, type TopicSpec } from '../../schemas/topics.ts';

export interface TopicMismatch {
  topic: string;
  /** What the catalogue wants and what the broker has, for each setting that differs. */
  partitions?: { want: number; have: number };
  retentionMs?: { want: number; have: number };
}

export interface CreateTopicsResult {
  created: string[];
  existing: string[];
  /** Existing topics whose settings differ from the catalogue: reported, never changed (partition counts cannot shrink, and more would move keys). */
  mismatched: TopicMismatch[];
}

/**
 * Creates the catalogue's topics (schemas/topics.ts) that the cluster lacks, with their partition
 * count and retention (`retention.ms=-1` for market data: the log is the source of truth), and
 * checks the ones that exist. Idempotent: run it again and everything is `existing`. A topic
 * created concurrently by someone else counts as existing (Kafka's TOPIC_ALREADY_EXISTS).
 */
export async function createCatalogueTopics(admin: Admin, specs: readonly TopicSpec[] = TOPIC_LIST, replicationFactor = -1): Promise<CreateTopicsResult> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.name));
  const created: string[] = [];
  if (missing.length > 0) {
    // createTopics resolves false (not an error) when some already existed; list again to know which we made.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor, // -1: the broker's default.replication.factor (KIP-464)
        configEntries: [{ name: 'retention.ms', value: String(s.retentionMs) }],
      })),
    });
    created.push(...missing.map((s) => s.name));
  }
  const existing = specs.filter((s) => present.has(s.name)).map((s) => s.name);
  return { created, existing, mismatched: await checkTopics(admin, specs.filter((s) => present.has(s.name))) };
}

/** kafkajs is CommonJS and Node's named-export detection misses this enum: take it from the default export. */
const { ConfigResourceTypes } = kafkajs;

async function checkTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<TopicMismatch[]> {
  if (specs.length === 0) return [];
  const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: ['retention.ms'] })),
  });
  const out: TopicMismatch[] = [];
  for (const spec of specs) {
    const m: TopicMismatch = { topic: spec.name };
    const have = meta.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
    if (have !== spec.partitions) m.partitions = { want: spec.partitions, have };
    const retention = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    if (retention !== undefined && Number(retention) !== spec.retentionMs) m.retentionMs = { want: spec.retentionMs, have: Number(retention) };
    if (m.partitions || m.retentionMs) out.push(m);
  }
  return out;
}
