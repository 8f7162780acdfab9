/**
 * The event log, modelled on Kafka: named topics split into partitions; a record's key picks its
 * partition; each partition is an append-only sequence numbered by offsets from 0. The embedded
 * (lmdb) and Kafka implementations both satisfy this interface and the same contract tests.
 */
export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  /** Record timestamp (epoch ms): the event time of what the value describes. */
  timestamp: number;
  /** Confluent wire format: magic 0, 4-byte big-endian schema id, Avro body. */
  value: Uint8Array;
}

export interface AppendRecord {
  key: string;
  timestamp: number;
  value: Uint8Array;
}

export interface RecordPosition {
  partition: number;
  offset: number;
}

export interface ReadOptions {
  /** First offset to read (inclusive). Default 0. */
  fromOffset?: number;
  /** Stop before this offset (exclusive). Default: the end at the time of the call. */
  toOffset?: number;
  /** Most records per batch yielded. Default 4096. */
  batchSize?: number;
}

export interface EventLog {
  /** Number of partitions of a topic (creating it with its catalogue default if new). */
  partitions(topic: string): Promise<number>;
  /**
   * Appends records; each goes to partitionFor(key). Resolves once every record is durable
   * (acknowledged), with positions in input order. Order per key is input order.
   */
  append(topic: string, records: readonly AppendRecord[]): Promise<RecordPosition[]>;
  /** Offset the next appended record of that partition will get (= record count). */
  endOffset(topic: string, partition: number): Promise<number>;
  /**
   * Earliest offset whose timestamp is >= ts, as Kafka's ListOffsets(timestamp); endOffset when
   * there is none.
   */
  offsetForTime(topic: string, partition: number, ts: number): Promise<number>;
  /** Reads a partition range in offset order, in batches. */
  read(topic: string, partition: number, options?: ReadOptions): AsyncIterable<LogRecord[]>;
  /**
   * Tails a partition from an offset: yields what exists, then new batches as they are appended,
   * until the signal aborts.
   */
  follow(topic: string, partition: number, fromOffset: number, signal: AbortSignal): AsyncIterable<LogRecord[]>;
  /** Topics that exist in this log. */
  topics(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Kafka's default partitioner (murmur2 of the UTF-8 key, positive, modulo partitions), so a key
 * lands in the same partition in the embedded log and in Kafka (kafkajs DefaultPartitioner,
 * Java client).
 */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length % 4;
  const idx = length & ~3;
  if (rest === 3) h ^= (data[idx + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[idx + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[idx]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}
