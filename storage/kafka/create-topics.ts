import kafkajs, { type Admin } from 'kafkajs';
import { TOPIC_LIST, type TopicSpec } from '../../schemas/topics.ts';

export interface TopicMismatch {
  topic: string;
  /** What the catalogue wants and what the broker has, for each setting that differs. */
  partitions?: { want: number; have: number };
  retentionMs?: { want: number; have: number };
  cleanup?: { want: string; have: string };
}

export interface CreateTopicsResult {
  created: string[];
  existing: string[];
  /** Existing topics whose settings differ from the catalogue: reported, never changed (partition counts cannot shrink, and more would move keys). */
  mismatched: TopicMismatch[];
}

/** Long.MAX_VALUE: no upper bound on record timestamps (decisions.md D12). */
export const TIMESTAMP_AFTER_MAX_MS = '9223372036854775807';

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
        configEntries: [
          { name: 'retention.ms', value: String(s.retentionMs) },
          { name: 'cleanup.policy', value: s.cleanup },
          // Record timestamps are event times, and a closed progress marker's is CLOSED_WATERMARK
          // (year 275760): Kafka 4 refuses timestamps over 1 h ahead of its clock by default.
          { name: 'message.timestamp.after.max.ms', value: TIMESTAMP_AFTER_MAX_MS },
        ],
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
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: ['retention.ms', 'cleanup.policy'] })),
  });
  const out: TopicMismatch[] = [];
  for (const spec of specs) {
    const m: TopicMismatch = { topic: spec.name };
    const have = meta.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
    if (have !== spec.partitions) m.partitions = { want: spec.partitions, have };
    const entries = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
    const config = (name: string) => entries.find((e) => e.configName === name)?.configValue;
    const retention = config('retention.ms');
    if (retention !== undefined && Number(retention) !== spec.retentionMs) m.retentionMs = { want: spec.retentionMs, have: Number(retention) };
    const cleanup = config('cleanup.policy');
    if (cleanup !== undefined && !samePolicy(cleanup, spec.cleanup)) m.cleanup = { want: spec.cleanup, have: cleanup };
    if (m.partitions || m.retentionMs || m.cleanup) out.push(m);
  }
  return out;
}

/** cleanup.policy is a list: `delete,compact` is the same policy as `compact,delete`. */
function samePolicy(a: string, b: string): boolean {
  const norm = (p: string) => p.split(',').map((x) => x.trim()).filter(Boolean).sort().join(',');
  return norm(a) === norm(b);
}
