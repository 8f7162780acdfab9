import { partitionFor, type AppendRecord, type EventLog, type LogRecord, type RecordPosition } from '../../storage/log/event-log.ts';
import { topicSpec } from '../../schemas/index.ts';

/** Just enough of an EventLog for unit tests: in memory, partitioned like the real ones; records each append call. */
export class MemoryLog implements EventLog {
  readonly parts = new Map<string, LogRecord[][]>();
  readonly appendSizes: number[] = [];
  /** The topic of each append call, in call order. */
  readonly appendTopics: string[] = [];

  private topic(name: string): LogRecord[][] {
    let p = this.parts.get(name);
    if (!p) {
      p = Array.from({ length: topicSpec(name).partitions }, () => []);
      this.parts.set(name, p);
    }
    return p;
  }
  async partitions(topic: string): Promise<number> {
    return this.topic(topic).length;
  }
  async append(topic: string, records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    this.appendSizes.push(records.length);
    this.appendTopics.push(topic);
    const parts = this.topic(topic);
    return records.map((r) => {
      const partition = partitionFor(r.key, parts.length);
      const p = parts[partition]!;
      p.push({ topic, partition, offset: p.length, ...r });
      return { partition, offset: p.length - 1 };
    });
  }
  async endOffset(topic: string, partition: number): Promise<number> {
    return this.topic(topic)[partition]!.length;
  }
  async offsetForTime(topic: string, partition: number, ts: number): Promise<number> {
    const p = this.topic(topic)[partition]!;
    const i = p.findIndex((r) => r.timestamp >= ts);
    return i < 0 ? p.length : i;
  }
  async *read(topic: string, partition: number): AsyncIterable<LogRecord[]> {
    yield [...this.topic(topic)[partition]!];
  }
  follow(): AsyncIterable<LogRecord[]> {
    throw new Error('not needed');
  }
  async topics(): Promise<string[]> {
    return [...this.parts.keys()];
  }
  async close(): Promise<void> {}
}

