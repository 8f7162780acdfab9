import type { LogRecord } from '../log/event-log.ts';
import { filterAbortedMessages, READ_COMMITTED, type AbortedTransaction, type FetchedMessage, type InternalBroker, type InternalCluster } from './kafka-cluster.ts';
import { KafkaLogError } from './kafka-log-error.ts';

export interface Fetched {
  records: LogRecord[];
  /** Offset to fetch next: past the last record or control record (transaction marker) seen. */
  nextOffset: number;
}

/** A partition to fetch and the offset to fetch it from. */
export interface FetchPart {
  topic: string;
  partition: number;
  offset: number;
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
    return (await this.fetchFrom(broker, [{ topic, partition, offset }], maxWaitMs, maxBytes))[0] as Fetched;
  }

  /**
   * One Fetch request to one broker for several partitions (each at most once; that broker must
   * lead them), as fetch() gives them, in the order asked. The broker holds the request up to
   * maxWaitMs while none of them has anything, and answers at most about maxBytes in all, a
   * partition at most maxBytes. A partition error fails the whole request (kafkajs's Fetch
   * response parser throws the first one).
   */
  async fetchMany(nodeId: number, parts: readonly FetchPart[], maxWaitMs: number, maxBytes = this.maxBytes): Promise<Fetched[]> {
    return this.fetchFrom(await this.cluster.findBroker({ nodeId }), parts, maxWaitMs, maxBytes);
  }

  /** The id of the broker leading a partition now (from metadata; refreshed when none is known). */
  async leaderId(topic: string, partition: number): Promise<number> {
    await this.cluster.addTargetTopic(topic);
    await this.cluster.refreshMetadataIfNecessary();
    const nodeId = Object.keys(this.cluster.findLeaderForPartitions(topic, [partition]))[0];
    if (nodeId === undefined) {
      await this.cluster.refreshMetadata();
      throw new KafkaLogError(`no leader known for ${topic}/${partition}`, { retriable: true });
    }
    return Number(nodeId);
  }

  private async fetchFrom(broker: InternalBroker, parts: readonly FetchPart[], maxWaitMs: number, maxBytes: number): Promise<Fetched[]> {
    const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
    for (const { topic, partition, offset } of parts) {
      let list = topics.get(topic);
      if (list === undefined) topics.set(topic, (list = []));
      list.push({ partition, fetchOffset: String(offset), maxBytes });
    }
    this.fetches++;
    let response;
    try {
      response = await broker.fetch({
        isolationLevel: READ_COMMITTED,
        maxWaitTime: maxWaitMs,
        minBytes: 1,
        maxBytes,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (e) {
      const what = parts.length === 1 ? `fetch ${parts[0]!.topic}/${parts[0]!.partition} at ${parts[0]!.offset}` : `fetch ${parts.length} partitions (${parts.map((p) => `${p.topic}/${p.partition}`).join(', ')})`;
      throw await this.classify(e, what);
    }
    return parts.map(({ topic, partition, offset }) => {
      const answer = response.responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === partition);
      return fetched(topic, partition, offset, answer?.messages ?? [], answer?.abortedTransactions);
    });
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

  private async leader(topic: string, partition: number): Promise<InternalBroker> {
    return this.cluster.findBroker({ nodeId: await this.leaderId(topic, partition) });
  }

  /** Refreshes metadata after a leadership or topic error so the retry asks the right broker. */
  async classify(err: unknown, what: string): Promise<unknown> {
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
 * A partition's part of a Fetch answer as records from `offset` on. Control records are dropped; a
 * fetch can start before `offset` (at its record batch's start), those records are dropped too. So
 * are the records of aborted transactions: READ_COMMITTED only stops the fetch at the last stable
 * offset, the broker still sends aborted records and leaves dropping them to the client.
 */
function fetched(topic: string, partition: number, offset: number, messages: FetchedMessage[], abortedTransactions: AbortedTransaction[] | undefined): Fetched {
  const aborted = abortedTransactions?.length ? abortedRecords(messages, abortedTransactions) : null;
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
