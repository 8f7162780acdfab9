import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { Logger } from '../../lib/log.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import type { ProjectorSerde } from './projector-serde.ts';
import { PROJECTED_TOPICS, type ProjectedTopic } from './tables.ts';
import type { WriterCounts } from './table-writer.ts';
import { DEFAULT_RETRY } from './with-retry.ts';

/** The projector's knobs with their defaults, validated once in the constructor. */
export const ProjectorOptionsSchema = z.object({
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('default'),
  /** Name under which offsets are committed; two projectors with one name share a position. */
  consumer: z.string().min(1).default('clickhouse-projector'),
  topics: z.array(z.enum(PROJECTED_TOPICS as [ProjectedTopic, ...ProjectedTopic[]])).min(1).default(PROJECTED_TOPICS),
  /** A batch is flushed when it has this many rows... */
  batchRows: z.int().min(1).default(5_000),
  /** ...or when its oldest row has waited this long (ms). */
  batchMs: z.int().min(1).default(500),
  /** Per topic; readers stop reading the log while the buffer is full. */
  maxBufferedRows: z.int().min(1).default(20_000),
  /** Records per log read. */
  readBatchSize: z.int().min(1).default(1_000),
  /** Backoff between attempts after a transient failure (no attempt limit). */
  retry: z.object({ initialMs: z.number().positive(), maxMs: z.number().positive(), factor: z.number().min(1) }).default(DEFAULT_RETRY),
});

export type ProjectorOptions = z.input<typeof ProjectorOptionsSchema> & {
  log: EventLog;
  serde: ProjectorSerde;
  client: ClickHouseClient;
  /** Progress and warnings (retries, dropped records). Default: silent. */
  logger?: Logger;
};

export interface TopicStats extends WriterCounts {
  read: number;
  /** Next offset committed per partition, by this run. */
  committed: Record<number, number>;
}

export interface ProjectionReport {
  /** False when the signal aborted the run before it finished (always, for follow()). */
  completed: boolean;
  topics: Record<string, TopicStats>;
  /** Transient failures retried. */
  retries: number;
}
