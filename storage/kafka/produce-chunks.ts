import { partitionFor, type AppendRecord } from '../log/event-log.ts';

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
export function kafkaMessages(records: readonly AppendRecord[], partitions: number): { key: string; value: Buffer; timestamp: string; partition: number }[] {
  return records.map((r) => ({ key: r.key, value: asBuffer(r.value), timestamp: String(r.timestamp), partition: partitionFor(r.key, partitions) }));
}

function asBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
