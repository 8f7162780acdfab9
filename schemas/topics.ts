import { BAR_SCHEMA } from './bar.ts';
import { DEAD_LETTER_SCHEMA } from './dead-letter.ts';
import { FEATURE_VECTOR_SCHEMA } from './feature-vector.ts';
import { LATE_EVENT_SCHEMA } from './late-event.ts';
import { MODEL_HEALTH_SCHEMA } from './model-health.ts';
import { OPTION_CHAIN_SNAPSHOT_SCHEMA } from './option-chain-snapshot.ts';
import { FEED_POSITION_SCHEMA } from './feed-position.ts';
import { FEED_PROGRESS_SCHEMA } from './progress.ts';
import { GRAPH_CHECKPOINT_SCHEMA } from './graph-checkpoint.ts';
import { SIGNAL_SCHEMA } from './signal.ts';
import { TRADE_SCHEMA } from './trade.ts';

/** One topic of the catalogue: what it holds, how it is keyed, how long it is kept. */
export interface TopicSpec {
  name: string;
  /** Avro schema of the record value (subject `${name}-value`, TopicNameStrategy). */
  schema: object;
  /** What the record key is; it also chooses the partition. */
  key: 'symbol' | 'underlying' | 'source' | 'unit|identity';
  partitions: number;
  /** -1 keeps everything: market data is the source of truth. */
  retentionMs: number;
  /** Kafka cleanup.policy: `compact` keeps the latest record per key (on top of retention). */
  cleanup: 'delete' | 'compact';
  /** market: inputs; derived: graph outputs; control: progress markers, never processed. */
  kind: 'market' | 'derived' | 'control';
}

/** Same as the Kafka mock's auto-created topics, and enough for a handful of symbols. */
export const DEFAULT_PARTITIONS = 4;

// Derived topics are kept forever too. Kafka's retention.ms counts from each record's timestamp,
// and tickflow stamps records with their event time: any history older than the retention (a
// backfill, an import, the synthetic market's January) would be deleted by the broker's first
// retention check, seconds after it was written (seen on a real Kafka 4.1 broker: the consumer
// group's bars vanished within a minute). Derived topics can be rebuilt from the market topics;
// trimming them is an operator's choice (docs/kafka.md), not a default that loses fresh outputs.
export const TOPICS = {
  trades: { name: 'trades', schema: TRADE_SCHEMA, key: 'symbol', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'market' },
  options: { name: 'options', schema: OPTION_CHAIN_SNAPSHOT_SCHEMA, key: 'underlying', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'market' },
  candles: { name: 'candles', schema: BAR_SCHEMA, key: 'symbol', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'market' },
  bars: { name: 'bars', schema: BAR_SCHEMA, key: 'symbol', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'derived' },
  features: { name: 'features', schema: FEATURE_VECTOR_SCHEMA, key: 'symbol', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'derived' },
  signals: { name: 'signals', schema: SIGNAL_SCHEMA, key: 'symbol', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'derived' },
  lateEvents: { name: 'late-events', schema: LATE_EVENT_SCHEMA, key: 'symbol', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'derived' },
  deadLetters: { name: 'dead-letters', schema: DEAD_LETTER_SCHEMA, key: 'source', partitions: 1, retentionMs: -1, cleanup: 'delete', kind: 'derived' },
  // Last in the catalogue: schema ids are assigned in this order, and existing ids must not move.
  // Compacted, never expired: a processor reads the whole topic to learn every source's latest
  // watermark, and a crashed source's last marker must keep holding processors back.
  progress: { name: 'progress', schema: FEED_PROGRESS_SCHEMA, key: 'source', partitions: 1, retentionMs: -1, cleanup: 'compact', kind: 'control' },
  // A feed's own position, recorded with its appends so a restart resumes by content. Compacted:
  // only each source's latest position matters.
  feedPositions: { name: 'feed-positions', schema: FEED_POSITION_SCHEMA, key: 'source', partitions: 1, retentionMs: -1, cleanup: 'compact', kind: 'control' },
  // A model's drift and live hit rate per symbol (processors/health), derived from the log like signals.
  modelHealth: { name: 'model-health', schema: MODEL_HEALTH_SCHEMA, key: 'symbol', partitions: DEFAULT_PARTITIONS, retentionMs: -1, cleanup: 'delete', kind: 'derived' },
  // Graph state of the consumer group's partition units (storage/checkpoints/log-checkpoint-store.ts),
  // keyed `unit|identity hash`: compaction keeps the latest per unit and graph. A cache of state
  // the log can always rebuild: losing it costs a full replay, nothing else.
  checkpoints: { name: 'checkpoints', schema: GRAPH_CHECKPOINT_SCHEMA, key: 'unit|identity', partitions: 1, retentionMs: -1, cleanup: 'compact', kind: 'control' },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;
export const TOPIC_LIST: readonly TopicSpec[] = Object.values(TOPICS);

export function topicSpec(name: string): TopicSpec {
  const t = TOPIC_LIST.find((s) => s.name === name);
  if (!t) throw new Error(`unknown topic: ${name}`);
  return t;
}
