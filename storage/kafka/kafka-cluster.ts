import { createRequire } from 'node:module';
import type { logCreator, logLevel, RetryOptions } from 'kafkajs';

/**
 * kafkajs's internal Cluster (metadata, leaders, ListOffsets, Fetch), the layer its own consumer
 * is built on. kafkajs has no public equivalent of the Java consumer's `assign()`: its Consumer
 * must join a group before it fetches (measured on the librdkafka mock: 3 s to the first batch,
 * 5 s to leave), which is wrong for EventLog.read, a bounded read of one partition by offset.
 * kafkajs 2.2.4 is pinned (package-lock) and the project is no longer released, so this internal
 * surface does not move; it is typed here, in one place, with only what KafkaEventLog uses.
 */
export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  isControlRecord?: boolean;
}

/** A transaction the producer aborted: its records from firstOffset up to its abort marker are to be dropped. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

interface FetchPartitionResponse {
  partition: number;
  highWatermark: string;
  /** READ_COMMITTED: aborted transactions overlapping the fetched range (the broker still sends their records). */
  abortedTransactions?: AbortedTransaction[];
  messages: FetchedMessage[];
}

export interface InternalBroker {
  fetch(request: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchPartitionResponse[] }[] }>;
}

export interface InternalPartitionMetadata {
  partitionId: number;
  leader: number;
  partitionErrorCode: number;
}

export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  metadata(options?: { topics?: string[] }): Promise<{ clusterId?: string; topicMetadata: { topic: string; partitionMetadata: InternalPartitionMetadata[] }[] }>;
  findTopicPartitionMetadata(topic: string): InternalPartitionMetadata[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string | number }): Promise<InternalBroker>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning?: boolean; fromTimestamp?: number }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

export interface ClusterOptions {
  brokers: string[];
  clientId: string;
  connectionTimeout: number;
  requestTimeout: number;
  retry: RetryOptions;
  logLevel: logLevel;
  logCreator?: logCreator;
}

const require = createRequire(import.meta.url);

/** Builds a Cluster the way `new Kafka(...)` does for its clients (kafkajs src/index.js). */
export function createInternalCluster(options: ClusterOptions): InternalCluster {
  const Cluster = require('kafkajs/src/cluster/index.js') as new (o: object) => InternalCluster;
  const { createLogger } = require('kafkajs/src/loggers/index.js') as { createLogger: (o: object) => unknown };
  const socketFactory = (require('kafkajs/src/network/socketFactory.js') as () => unknown)();
  const logCreator = options.logCreator ?? (require('kafkajs/src/loggers/console.js') as logCreator);
  const logger = createLogger({ level: options.logLevel, logCreator });
  return new Cluster({
    logger,
    retry: options.retry,
    offsets: new Map(),
    socketFactory,
    brokers: options.brokers,
    clientId: options.clientId,
    connectionTimeout: options.connectionTimeout,
    requestTimeout: options.requestTimeout,
    enforceRequestTimeout: true,
    allowAutoTopicCreation: true,
    maxInFlightRequests: null,
    isolationLevel: READ_COMMITTED,
  });
}

/**
 * kafkajs's consumer-side filter for READ_COMMITTED fetches: drops the records of `abortedTransactions`
 * (their producer's transactional records from firstOffset to its abort marker). Messages carry the
 * `batchContext` (producerId, inTransaction) it reads; kafkajs's fetch decoder sets it.
 */
export const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages.js') as (o: {
  messages: FetchedMessage[];
  abortedTransactions: AbortedTransaction[];
}) => FetchedMessage[];

/** Kafka's isolation levels: read only committed transactional records (kafkajs's default). */
export const READ_COMMITTED = 1;
