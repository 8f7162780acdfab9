/**
 * The projector's committed positions, kept in ClickHouse next to the rows they cover
 * (`tickflow_offsets`: consumer, topic, log_partition, next_offset). A commit is written only
 * after the insert of every row before that offset was acknowledged, so a crash can only make the
 * projector read again rows that are already stored (they collapse by id), never skip one.
 * Offsets only move forward: ReplacingMergeTree(next_offset) and max() keep the highest.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows } from './insert-rows.ts';
import { qualified, quoteString } from './sql.ts';

export class OffsetStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly consumer: string,
  ) {}

  /** Committed next offset per `${topic}|${partition}` (absent: nothing committed). */
  async load(): Promise<Map<string, number>> {
    const rs = await this.client.query({
      query: `SELECT topic, log_partition AS partition, max(next_offset) AS next
        FROM ${qualified(this.database, 'tickflow_offsets')}
        WHERE consumer = ${quoteString(this.consumer)} GROUP BY topic, log_partition`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ topic: string; partition: number | string; next: number | string }>();
    return new Map(rows.map((r) => [offsetKey(r.topic, Number(r.partition)), Number(r.next)]));
  }

  async commit(topic: string, positions: ReadonlyMap<number, number>, signal?: AbortSignal): Promise<void> {
    const rows = [...positions].map(([partition, next]) => ({
      consumer: this.consumer,
      topic,
      log_partition: partition,
      next_offset: next,
    }));
    await insertRows(this.client, this.database, 'tickflow_offsets', rows, signal);
  }
}

export const offsetKey = (topic: string, partition: number): string => `${topic}|${partition}`;
