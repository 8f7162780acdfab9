import { partitionFor, type AppendRecord, type RecordPosition } from '../log/event-log.ts';
import { KafkaLogError } from './kafka-log-error.ts';
import { bufferView } from '../../lib/bytes.ts';

/** Keys and values per produce request: brokers reject batches over message.max.bytes (1 MiB by default). */
export const PRODUCE_MAX_BYTES = 512 * 1024;

/** Splits records into runs of at most `maxBytes` of keys and values (a bigger record goes alone). */
export function* byteChunks(records: readonly AppendRecord[], maxBytes: number): Generator<readonly AppendRecord[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const size = records[i]!.value.length + records[i]!.key.length * 3 + 64;
    if (i > start && bytes + size > maxBytes) {
      yield records.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < records.length) yield records.slice(start);
}

/**
 * Records as kafkajs messages, each with its partition computed by partitionFor (so Kafka and the
 * embedded log place a key alike) and its timestamp as the record timestamp (CreateTime).
 */
export interface KafkaMessage {
  key: string;
  value: Buffer;
  timestamp: string;
  partition: number;
}

export function kafkaMessages(records: readonly AppendRecord[], partitions: number): KafkaMessage[] {
  return records.map((r) => ({ key: r.key, value: bufferView(r.value), timestamp: String(r.timestamp), partition: partitionFor(r.key, partitions) }));
}

/** What a produce request answers per partition (kafkajs's RecordMetadata, the fields used here). */
export interface PartitionAck {
  partition: number;
  baseOffset?: string;
}

/** Sends of the records a leader move left unacknowledged before an append gives up. */
export const MAX_UNACKED_SENDS = 10;

/**
 * Sends messages and returns each one's position, in input order. kafkajs keeps each broker's answer
 * across its internal retries and asks again only brokers that have none, so when a partition's
 * leader moves mid-send to a broker that already answered for other partitions, the moved partition
 * is never resent and its acknowledgement is simply missing from the answer. Those messages were not
 * written: only they are sent again, until every partition has its acknowledgement.
 */
export async function sendUntilAcknowledged(
  topic: string,
  messages: readonly KafkaMessage[],
  send: (messages: KafkaMessage[]) => Promise<readonly PartitionAck[]>,
  say: (message: string) => void,
): Promise<RecordPosition[]> {
  const positions: (RecordPosition | undefined)[] = Array.from({ length: messages.length });
  let pending = messages.map((_, i) => i);
  for (let attempt = 1; pending.length > 0; attempt++) {
    const acks = await send(pending.map((i) => messages[i]!));
    // kafkajs sends each partition's messages in input order as one record batch: offsets count up from baseOffset.
    const next = new Map<number, number>();
    for (const a of acks) if (a.baseOffset !== undefined) next.set(a.partition, Number(a.baseOffset));
    const unacked: number[] = [];
    for (const i of pending) {
      const partition = messages[i]!.partition;
      const offset = next.get(partition);
      if (offset === undefined) {
        unacked.push(i);
        continue;
      }
      positions[i] = { partition, offset };
      next.set(partition, offset + 1);
    }
    if (unacked.length > 0) {
      const missing = [...new Set(unacked.map((i) => messages[i]!.partition))].sort((a, b) => a - b).join(', ');
      if (attempt >= MAX_UNACKED_SENDS) throw new KafkaLogError(`append to ${topic}: no acknowledgement for partition(s) ${missing} after ${attempt} sends`, { retriable: true });
      say(`append to ${topic}: no acknowledgement for partition(s) ${missing} (a leader moved?); sending their ${unacked.length} records again`);
    }
    pending = unacked;
  }
  return positions as RecordPosition[];
}
