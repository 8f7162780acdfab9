/**
 * Serves the derived `signals` and `bars` topics to WebSocket clients (`tickflow run gateway`):
 * follows every partition of both through the event log, drops the copies at-least-once
 * processing leaves on them, and publishes the rest in offset order per partition. It keeps no
 * state beyond its memory of recent ids, so any number of gateways can run side by side.
 */
import { setMaxListeners } from 'node:events';
import type { TopicDecoder } from '../../hosts/merged-reader.ts';
import type { Logger } from '../../lib/log.ts';
import type { Bar, Signal } from '../../schemas/index.ts';
import type { EventLog, LogRecord } from '../../storage/log/event-log.ts';
import { CHANNELS, type Channel } from './client-message.ts';
import { RecentIds } from './recent-ids.ts';

/**
 * Ids remembered per partition. A copy sits behind its original by the outputs the partition's
 * owner wrote after its last commit (live, one feed chunk's worth; more if a member dies while
 * catching up): a copy further back than this is published again. Memory: about 1.5 MB per
 * partition for signals' 64-character ids (measured), less for bars'.
 */
export const DEFAULT_RECENT_IDS = 10_000;

export interface TopicGatewayOptions {
  log: EventLog;
  decode: TopicDecoder;
  /** Where records go; the CLI passes SignalServer.publish. Topic name = channel name. */
  publish: (channel: Channel, symbol: string, payload: object) => void;
  /** 'end' (default): what is appended after the start; 'earliest': everything from offset 0. */
  from?: 'end' | 'earliest';
  /** Default DEFAULT_RECENT_IDS. */
  recentIds?: number;
  /** Called once, when every partition's start offset is known and following begins. */
  onFollowing?: (starts: Record<Channel, number[]>) => void;
  /** Warnings (records that do not decode). Default: silent. */
  logger?: Logger;
}

export interface GatewayTopicStats {
  published: number;
  duplicatesDropped: number;
  /** Records the serde could not decode: skipped, not published. */
  undecodable: number;
}

export type GatewayReport = Record<Channel, GatewayTopicStats>;

/** The id every copy of a record shares (the same ids as sinks/clickhouse/derived-rows.ts). */
const ID_OF: Record<Channel, (value: unknown) => string> = {
  signals: (v) => (v as Signal).id,
  bars: (v) => {
    const b = v as Bar;
    return `${b.symbol}|${b.interval}|${b.end}`;
  },
};

interface Cursor {
  topic: Channel;
  partition: number;
  start: number;
  recent: RecentIds;
}

export class TopicGateway {
  private readonly stats: GatewayReport = { signals: zero(), bars: zero() };
  private readonly capacity: number;

  constructor(private readonly o: TopicGatewayOptions) {
    this.capacity = o.recentIds ?? DEFAULT_RECENT_IDS;
  }

  /** Follows until the signal aborts, then resolves with the counters; a log failure rejects. */
  async run(signal: AbortSignal): Promise<GatewayReport> {
    const cursors = await this.position(signal);
    const starts: Record<Channel, number[]> = { signals: [], bars: [] };
    for (const c of cursors) starts[c.topic][c.partition] = c.start;
    if (!signal.aborted) this.o.onFollowing?.(starts);
    await this.followAll(cursors, signal);
    return this.report();
  }

  report(): GatewayReport {
    return { signals: { ...this.stats.signals }, bars: { ...this.stats.bars } };
  }

  private async position(signal: AbortSignal): Promise<Cursor[]> {
    const cursors: Cursor[] = [];
    for (const topic of CHANNELS) {
      const partitions = await this.o.log.partitions(topic);
      for (let partition = 0; partition < partitions && !signal.aborted; partition++) {
        const start = this.o.from === 'earliest' ? 0 : await this.o.log.endOffset(topic, partition);
        const cursor = { topic, partition, start, recent: new RecentIds(this.capacity) };
        await this.remember(cursor, signal);
        cursors.push(cursor);
      }
    }
    return cursors;
  }

  /**
   * Fills the memory with the ids just before the start, so a copy appended after it of a record
   * appended before it is still dropped. Best effort: without them only such copies get through.
   */
  private async remember(c: Cursor, signal: AbortSignal): Promise<void> {
    const fromOffset = Math.max(0, c.start - this.capacity);
    try {
      for await (const batch of this.o.log.read(c.topic, c.partition, { fromOffset, toOffset: c.start })) {
        if (signal.aborted) return;
        for (const r of batch) {
          const id = this.idOf(c.topic, r);
          if (id !== null) c.recent.add(id);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      this.o.logger?.warn(`gateway: could not read ${c.topic}/${c.partition} before offset ${c.start} (${(e as Error).message}); copies of those records will be published`);
    }
  }

  private async followAll(cursors: Cursor[], outer: AbortSignal): Promise<void> {
    const inner = new AbortController();
    setMaxListeners(1_000, inner.signal); // every partition's follow, fetch and backoff listens to it
    const stop = (): void => inner.abort();
    outer.addEventListener('abort', stop, { once: true });
    if (outer.aborted) stop();
    const failures: unknown[] = [];
    await Promise.all(
      cursors.map(async (c) => {
        try {
          for await (const batch of this.o.log.follow(c.topic, c.partition, c.start, inner.signal)) this.accept(c, batch);
        } catch (e) {
          // Whatever is thrown once stopping is the stop; the first other failure stops the rest.
          if (!inner.signal.aborted) failures.push(e);
          inner.abort();
        }
      }),
    );
    outer.removeEventListener('abort', stop);
    if (failures.length > 0) throw failures[0];
  }

  /** The core: decode, drop what was seen recently, publish the rest in order. */
  private accept(c: Cursor, batch: readonly LogRecord[]): void {
    const stats = this.stats[c.topic];
    for (const r of batch) {
      const value = this.decode(c.topic, r);
      if (value === null) {
        stats.undecodable++;
        continue;
      }
      if (!c.recent.add(ID_OF[c.topic](value))) {
        stats.duplicatesDropped++;
        continue;
      }
      this.o.publish(c.topic, value.symbol, value);
      stats.published++;
    }
  }

  private idOf(topic: Channel, r: LogRecord): string | null {
    const value = this.decode(topic, r);
    return value === null ? null : ID_OF[topic](value);
  }

  private decode(topic: Channel, r: LogRecord): (object & { symbol: string }) | null {
    try {
      return this.o.decode(topic, r.value) as object & { symbol: string };
    } catch (e) {
      this.o.logger?.warn({ topic, partition: r.partition, offset: r.offset }, `gateway: ${topic}/${r.partition} offset ${r.offset} does not decode (${(e as Error).message}); skipped`);
      return null;
    }
  }
}

function zero(): GatewayTopicStats {
  return { published: 0, duplicatesDropped: 0, undecodable: 0 };
}
