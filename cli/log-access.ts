import type { TopicDecoder } from '../replay/merged-reader.ts';
import type { EventLog } from '../streams/log/event-log.ts';
import { openEmbeddedLog } from '../streams/log/open-log.ts';
import type { ProjectorSerde } from '../streams/clickhouse/index.ts';

export interface LogAccess {
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: TopicDecoder;
  /** The serde itself, for consumers that need more than encode/decode (ClickHouse projector). */
  serde: ProjectorSerde;
  close: () => Promise<void>;
}

/** Opens the embedded log at `dir` with its schema registry (the Kafka path plugs in here). */
export async function openLog(dir: string): Promise<LogAccess> {
  const { log, serde } = await openEmbeddedLog(dir);
  return {
    log,
    encode: (topic, value) => serde.encode(topic, value),
    decode: (topic, bytes) => serde.decodeAs(topic, bytes),
    serde,
    close: () => log.close(),
  };
}

/** Total records in a topic across its partitions. */
export async function topicSize(log: EventLog, topic: string): Promise<number> {
  let n = 0;
  const parts = await log.partitions(topic);
  for (let p = 0; p < parts; p++) n += await log.endOffset(topic, p);
  return n;
}
