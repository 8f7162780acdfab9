import type { LogRecord } from '../log/event-log.ts';
import { filterAbortedMessages, READ_COMMITTED, type AbortedTransaction, type FetchedMessage, type InternalCluster } from './kafka-cluster.ts';
import { KafkaLogError } from './kafka-log-error.ts';

export interface Fetched {
  records: LogRecord[];
  /** Offset to fetch next: past the last record or control record (transaction marker) seen. */
  nextOffset: number;
}

/** Partition errors after which fresh metadata (a new leader, a created topic) can make a retry succeed. */
const STALE_METADATA = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'REPLICA_NOT_AVAILABLE']);

/**
 * Fetches and offset lookups for one partition at a time, straight from its leader (no consumer
 * group): what EventLog.read, follow, endOffset and offsetForTime need.
 */
export class PartitionReader {
  /** Fetch requests sent so far. */
  fetches = 0;

  constructor(
    private readonly cluster: InternalCluster,
    private readonly maxBytes: number,
  ) {}

  /**
   * Records from `offset` on (at most about maxBytes, default the reader's; at least one whole record batch), or none
   * after maxWaitMs when there is nothing yet. Control records are dropped; a fetch can start
   * before `offset` (at its record batch's start), those records are dropped too. So are the
   * records of aborted transactions: READ_COMMITTED only stops the fetch at the last stable
   * offset, the broker still sends aborted records and leaves dropping them to the client.
   */
  async fetch(topic: string, partition: number, offset: number, maxWaitMs: number, maxBytes = this.maxBytes): Promise<Fetched> {
    const broker = await this.leader(topic, partition);
    this.fetches++;
    let response;
    try {
      response = await broker.fetch({
        isolationLevel: READ_COMMITTED,
        maxWaitTime: maxWaitMs,
        minBytes: 1,
        maxBytes,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
      });
    } catch (e) {
      throw await this.classify(e, `fetch ${topic}/${partition} at ${offset}`);
    }
    const answer = response.responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === partition);
    const messages = answer?.messages ?? [];
    const aborted = answer?.abortedTransactions?.length ? abortedRecords(messages, answer.abortedTransactions) : null;
    const records: LogRecord[] = [];
    let nextOffset = offset;
    for (const m of messages) {
      const o = Number(m.offset);
      if (o < offset) continue;
      nextOffset = o + 1;
      if (m.isControlRecord !== true && aborted?.has(m) !== true) records.push(toRecord(topic, partition, o, m));
    }
    return { records, nextOffset };
  }

  /** ListOffsets: the high watermark (`latest`), the log start (`earliest`), or the first offset with timestamp >= ts (-1: none). */
  async listOffset(topic: string, partition: number, at: 'latest' | 'earliest' | number): Promise<number> {
    await this.cluster.addTargetTopic(topic);
    const query = typeof at === 'number' ? { fromTimestamp: at } : { fromBeginning: at === 'earliest' };
    let result;
    try {
      result = await this.cluster.fetchTopicsOffset([{ topic, partitions: [{ partition }], ...query }]);
    } catch (e) {
      throw await this.classify(e, `list offsets of ${topic}/${partition}`);
    }
    const offset = result.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
    if (offset === undefined) throw new KafkaLogError(`no ListOffsets answer for ${topic}/${partition}`, { retriable: true });
    return Number(offset);
  }

  private async leader(topic: string, partition: number) {
    await this.cluster.addTargetTopic(topic);
    await this.cluster.refreshMetadataIfNecessary();
    const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) {
      await this.cluster.refreshMetadata();
      throw new KafkaLogError(`no leader known for ${topic}/${partition}`, { retriable: true });
    }
    return this.cluster.findBroker({ nodeId });
  }

  /** Refreshes metadata after a leadership or topic error so the retry asks the right broker. */
  private async classify(err: unknown, what: string): Promise<unknown> {
    const type = (err as { type?: string }).type;
    if (type !== undefined && STALE_METADATA.has(type)) {
      await this.cluster.refreshMetadata().catch(() => undefined);
      return new KafkaLogError(`${what}: ${type}`, { retriable: true, cause: err });
    }
    if (type === 'OFFSET_OUT_OF_RANGE') return new KafkaLogError(`${what}: offset out of range (deleted by retention, or past the end)`, { cause: err });
    return err;
  }
}

/**
 * The messages that belong to aborted transactions. kafkajs's filter enters at most one aborted
 * transaction per message, so two already open where the fetch starts would let one leak: it is
 * run once per transaction (a few; the whole fetch is kept when there are none).
 */
function abortedRecords(messages: FetchedMessage[], transactions: AbortedTransaction[]): Set<FetchedMessage> {
  const dropped = new Set<FetchedMessage>();
  for (const t of transactions) {
    const kept = new Set(filterAbortedMessages({ messages, abortedTransactions: [t] }));
    for (const m of messages) if (!kept.has(m)) dropped.add(m);
  }
  return dropped;
}

function toRecord(topic: string, partition: number, offset: number, m: FetchedMessage): LogRecord {
  const value = m.value ?? EMPTY;
  return { topic, partition, offset, key: m.key === null ? '' : m.key.toString('utf8'), timestamp: Number(m.timestamp), value };
}

const EMPTY = new Uint8Array(0);
