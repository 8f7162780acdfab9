import type { LogRecord } from '../../storage/log/event-log.ts';
import { errorSummary } from './clickhouse-sink-error.ts';
import { projectRecord } from './derived-rows.ts';
import { rowEncoder, type RowEncoder } from './insert-rows.ts';
import { decodeFailure, type ProjectorSerde, unknownSchemaId } from './projector-serde.ts';
import { type ProjectedTopic, TOPIC_TABLES } from './tables.ts';
import type { Entry } from './table-writer.ts';

/**
 * Log record -> buffer entry: decode (Avro, the topic's schema), validate and convert, encode to
 * RowBinary. Any step that fails makes an invalid entry carrying the reason, never an exception:
 * bad input is data to dead-letter, not a reason to stop the projection.
 */
export class RecordToEntry {
  private readonly encoders = new Map<ProjectedTopic, RowEncoder>();

  constructor(private readonly serde: ProjectorSerde) {}

  async convert(topic: ProjectedTopic, record: LogRecord): Promise<Entry> {
    let value: unknown;
    try {
      value = await this.decode(topic, record.value);
    } catch (err) {
      return { record, row: null, invalid: `cannot decode: ${decodeFailure(err)}` };
    }
    const projected = projectRecord(topic, value, record);
    if (!projected.ok) return { record, row: null, invalid: projected.reason };
    try {
      return { record, row: this.encoder(topic)(projected.row) };
    } catch (err) {
      return { record, row: null, invalid: `cannot encode: ${errorSummary(err)}` };
    }
  }

  private async decode(topic: ProjectedTopic, bytes: Uint8Array): Promise<unknown> {
    try {
      return this.serde.decodeAs<unknown>(topic, bytes);
    } catch (err) {
      const id = unknownSchemaId(err);
      if (id === null || !this.serde.loadSchema) throw err;
      await this.serde.loadSchema(id);
      return this.serde.decodeAs<unknown>(topic, bytes);
    }
  }

  private encoder(topic: ProjectedTopic): RowEncoder {
    let e = this.encoders.get(topic);
    if (!e) this.encoders.set(topic, (e = rowEncoder(TOPIC_TABLES[topic])));
    return e;
  }
}
