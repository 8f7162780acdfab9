import type { Client } from '@confluentinc/schemaregistry';
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import { partitionFor, type AppendRecord, type EventLog, type LogRecord } from '../log/event-log.ts';
import { valueSubject } from '../serde/serde.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { KafkaLogError } from './kafka-log-error.ts';

/** One side of a mirror: an event log and the schema registry its values' ids refer to. */
export interface MirrorEnd {
  log: EventLog;
  registry: Client;
}

export interface MirrorResult {
  /** Records copied per topic in this run. */
  topics: Record<string, number>;
  records: number;
}

export interface MirrorOptions {
  /** Only these topics (default: every topic of the source but `progress`). */
  topics?: readonly string[];
  batchSize?: number;
  onProgress?: (topic: string, partition: number, copied: number) => void;
}

/**
 * Copies every topic and partition of one log into another, in offset order: same partition
 * numbers (both logs use partitionFor; partition counts must match), keys, timestamps and value
 * bytes. A value's schema id is the source registry's; where the target registry gives the same
 * schema another id, only the 4 id bytes are rewritten (the Avro body depends on the schema text
 * alone). Re-running resumes: a target partition that already holds the first k records of the
 * source (its last one checked byte for byte) continues at offset k.
 */
export async function mirrorLog(from: MirrorEnd, to: MirrorEnd, options: MirrorOptions = {}): Promise<MirrorResult> {
  const batchSize = options.batchSize ?? 4096;
  const ids = new SchemaIdMap(from.registry, to.registry);
  const result: MirrorResult = { topics: {}, records: 0 };
  // `progress` is a cluster's own control topic (its writers' watermarks), not part of a history.
  for (const topic of options.topics ?? (await from.log.topics()).filter((t) => t !== TOPICS.progress.name)) {
    const partitions = await from.log.partitions(topic);
    const targetPartitions = await to.log.partitions(topic);
    if (partitions !== targetPartitions) {
      throw new KafkaLogError(`${topic} has ${partitions} partitions in the source and ${targetPartitions} in the target: create it with the catalogue's count first (tickflow topics create)`);
    }
    let copied = 0;
    for (let p = 0; p < partitions; p++) {
      const start = await resumeOffset(from.log, to.log, topic, p);
      for await (const batch of from.log.read(topic, p, { fromOffset: start, batchSize })) {
        const records: AppendRecord[] = [];
        for (const r of batch) {
          if (partitionFor(r.key, partitions) !== p) {
            throw new KafkaLogError(`${topic}/${p}@${r.offset}: key ${JSON.stringify(r.key)} belongs to partition ${partitionFor(r.key, partitions)}; the source was not written with partitionFor, partitions cannot be preserved`);
          }
          records.push({ key: r.key, timestamp: r.timestamp, value: await ids.translate(topic, r.value) });
        }
        const positions = await to.log.append(topic, records);
        const moved = positions.find((pos) => pos.partition !== p);
        if (moved) throw new KafkaLogError(`${topic}/${p}: a record landed in partition ${moved.partition} of the target`);
        copied += records.length;
        options.onProgress?.(topic, p, copied);
      }
      await assertStartKept(to.log, topic, p);
    }
    result.topics[topic] = copied;
    result.records += copied;
  }
  return result;
}

/**
 * Fails when the target no longer has offset 0 of a partition it was given: its retention dropped
 * the oldest records (librdkafka's mock keeps only about 5 MB per partition), so the copy is not whole.
 */
async function assertStartKept(log: EventLog, topic: string, partition: number): Promise<void> {
  if ((await log.endOffset(topic, partition)) === 0) return;
  try {
    for await (const b of log.read(topic, partition, { fromOffset: 0, toOffset: 1 })) if (b[0]?.offset === 0) return;
  } catch (e) {
    throw new KafkaLogError(`${topic}/${partition}: the target dropped the oldest records (retention; librdkafka's mock keeps about 5 MB per partition)`, { cause: e });
  }
  throw new KafkaLogError(`${topic}/${partition}: the target has no record at offset 0`);
}

/** Where to continue a partition: the target's end, after checking its last record equals the source's. */
async function resumeOffset(from: EventLog, to: EventLog, topic: string, partition: number): Promise<number> {
  const end = await to.endOffset(topic, partition);
  if (end === 0) return 0;
  const last = async (log: EventLog): Promise<LogRecord | undefined> => {
    for await (const b of log.read(topic, partition, { fromOffset: end - 1, toOffset: end })) return b[0];
    return undefined;
  };
  const [a, b] = [await last(from), await last(to)];
  if (!a || !b || a.key !== b.key || a.timestamp !== b.timestamp || a.value.length !== b.value.length || !Buffer.from(a.value.subarray(5)).equals(b.value.subarray(5))) {
    throw new KafkaLogError(`${topic}/${partition}: the target already holds ${end} records that are not a copy of the source's first ${end}`);
  }
  return end;
}

/** Source schema id -> target schema id for the same schema text, resolved once per id. */
class SchemaIdMap {
  private readonly map = new Map<string, number>();

  constructor(
    private readonly source: Client,
    private readonly target: Client,
  ) {}

  async translate(topic: string, value: Uint8Array): Promise<Uint8Array> {
    // Not Confluent-framed: copied as it is (the mirror moves bytes; decoding is not its job).
    if (value.length < 5 || value[0] !== 0) return value;
    const sourceId = ((value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]!) >>> 0;
    const key = `${topic}\u0000${sourceId}`;
    let targetId = this.map.get(key);
    if (targetId === undefined) {
      targetId = await this.resolve(valueSubject(topic), sourceId);
      this.map.set(key, targetId);
    }
    if (targetId === sourceId) return value;
    const out = Buffer.from(value);
    out.writeUInt32BE(targetId, 1);
    return out;
  }

  private async resolve(subject: string, sourceId: number): Promise<number> {
    let info;
    try {
      info = await this.source.getBySubjectAndId(subject, sourceId);
    } catch (e) {
      // Bytes that only look framed (a 0 first byte) with an id the source never issued: not Avro, copied as they are.
      if (e instanceof RestError && e.status === 404) return sourceId;
      throw e;
    }
    const schema = { schemaType: info.schemaType ?? 'AVRO', schema: info.schema, ...(info.references ? { references: info.references } : {}) };
    try {
      return await this.target.getId(subject, schema, false);
    } catch (e) {
      if (!(e instanceof RestError && e.status === 404)) throw e;
      return this.target.register(subject, schema, false);
    }
  }
}
