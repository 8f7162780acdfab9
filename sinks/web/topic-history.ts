/**
 * Recent history of the derived topics for the page and the API, read through the event log
 * (the same topics the gateway follows), not from a database. Every derived topic is keyed by
 * symbol, so one symbol's records sit in one partition: a query reads that partition backwards
 * from the end of its time range in growing windows, and stops once it has `limit` rows or has
 * passed the start of the range. Copies (at-least-once on Kafka) are dropped by id.
 */
import type { TopicDecoder } from '../../hosts/merged-reader.ts';
import type { Bar, FeatureVector, ModelHealth, Signal } from '../../schemas/index.ts';
import { partitionFor, type EventLog, type LogRecord } from '../../storage/log/event-log.ts';

export interface RangeQuery {
  symbol: string;
  /** Inclusive, epoch ms (record time: bar end, signal bar end). Default: the partition's start. */
  from?: number;
  /** Exclusive, epoch ms. Default: the partition's end. */
  to?: number;
  limit: number;
}

export interface RangeResult<T> {
  /** Oldest first. When truncated, these are the most recent `limit` rows of the range. */
  rows: T[];
  /** True when older rows of the range were left out because of the limit. */
  truncated: boolean;
}

export interface SymbolInfo {
  symbol: string;
  /** End of the latest bar among the recent records read, and its close. */
  lastBarEnd: number;
  lastClose: number;
}

/** Records read per step back; doubled at every step, so a deep range costs O(log) steps. */
const FIRST_WINDOW = 2048;
/**
 * Decoded records kept per topic-partition, the most recent ones (two weeks of one symbol's 1m
 * and 5m bars is about 24,000). Page loads then cost a filter over memory instead of a read and
 * decode of the partition (measured in docs/benchmarks.md). Reads further back bypass it.
 */
export const DEFAULT_CACHED_RECORDS = 40_000;

/** Decoded values of offsets [lo, lo + values.length) of one partition; null = did not decode. */
interface Segment {
  lo: number;
  values: (object | null)[];
  /** Serializes extensions: concurrent requests wait for one read. */
  busy: Promise<void>;
}
/** Records read from the end of each bars partition to list the symbols. */
const SYMBOL_SCAN = 4096;

export class TopicHistory {
  private readonly cache = new Map<string, Segment>();

  constructor(
    private readonly log: EventLog,
    private readonly decode: TopicDecoder,
    private readonly cachedRecords = DEFAULT_CACHED_RECORDS,
  ) {}

  async bars(q: RangeQuery & { interval: string }): Promise<RangeResult<Bar>> {
    return this.range<Bar>('bars', q, (b) => b.symbol === q.symbol && b.interval === q.interval, (b) => b.end, (b) => b.end);
  }

  async signals(q: RangeQuery): Promise<RangeResult<Signal>> {
    return this.range<Signal>('signals', q, (s) => s.symbol === q.symbol, (s) => s.barEnd, (s) => s.id);
  }

  async features(q: RangeQuery): Promise<RangeResult<FeatureVector>> {
    return this.range<FeatureVector>('features', q, (f) => f.symbol === q.symbol, (f) => f.barEnd, (f) => `${f.barEnd}|${f.featureSetHash}`);
  }

  /** Model-health reports (processors/health) of one symbol, by their bar end; only those of `modelId` when given. */
  async modelHealth(q: RangeQuery & { modelId?: string }): Promise<RangeResult<ModelHealth>> {
    return this.range<ModelHealth>('model-health', q, (h) => h.symbol === q.symbol && (q.modelId === undefined || h.modelId === q.modelId), (h) => h.tsEvent, (h) => `${h.tsEvent}|${h.modelId}`);
  }

  /**
   * Where the log is for answers over `topic`: the end offset of the partition that holds
   * `symbol`'s records, or of every partition when no symbol is given ("none" when the topic does
   * not exist). Records are immutable and only appended, so an answer computed from these
   * partitions stays the same while this string does (sinks/web/response-cache.ts).
   */
  async position(topic: string, symbol?: string): Promise<string> {
    if (!(await this.log.topics()).includes(topic)) return `${topic}:none`;
    const n = await this.log.partitions(topic);
    if (symbol !== undefined) {
      const p = partitionFor(symbol, n);
      return `${topic}/${p}:${await this.log.endOffset(topic, p)}`;
    }
    const ends: number[] = [];
    for (let p = 0; p < n; p++) ends.push(await this.log.endOffset(topic, p));
    return `${topic}:${ends.join(',')}`;
  }

  /** The symbols with bars among the last records of each bars partition, sorted by name. */
  async symbols(): Promise<SymbolInfo[]> {
    const bySymbol = new Map<string, SymbolInfo>();
    if (!(await this.log.topics()).includes('bars')) return [];
    const n = await this.log.partitions('bars');
    for (let p = 0; p < n; p++) {
      const end = await this.log.endOffset('bars', p);
      for (const v of await this.values('bars', p, Math.max(0, end - SYMBOL_SCAN), end)) {
        const b = v as Bar | null;
        if (b === null) continue;
        const seen = bySymbol.get(b.symbol);
        if (seen === undefined || b.end >= seen.lastBarEnd) bySymbol.set(b.symbol, { symbol: b.symbol, lastBarEnd: b.end, lastClose: b.close });
      }
    }
    return [...bySymbol.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  private async range<T>(topic: string, q: RangeQuery, match: (v: T) => boolean, timeOf: (v: T) => number, idOf: (v: T) => string | number): Promise<RangeResult<T>> {
    if (!(await this.log.topics()).includes(topic)) return { rows: [], truncated: false };
    const partition = partitionFor(q.symbol, await this.log.partitions(topic));
    const from = q.from ?? Number.NEGATIVE_INFINITY;
    const to = q.to ?? Number.POSITIVE_INFINITY;
    // Record timestamps are these times (hosts/log-sink.ts), nearly ordered within a partition.
    const lo = q.from === undefined ? 0 : await this.log.offsetForTime(topic, partition, q.from);
    const hi = q.to === undefined ? await this.log.endOffset(topic, partition) : await this.log.offsetForTime(topic, partition, q.to);
    const seen = new Set<string | number>();
    // Windows from the end backwards; each window's matches are older than the ones before.
    const windows: T[][] = [];
    let count = 0;
    let truncated = false;
    let top = hi;
    let size = FIRST_WINDOW;
    while (top > lo && !truncated) {
      const bottom = Math.max(lo, top - size);
      const found: T[] = [];
      for (const v of (await this.values(topic, partition, bottom, top)) as (T | null)[]) {
        if (v === null || !match(v)) continue;
        const t = timeOf(v);
        if (t < from || t >= to) continue;
        found.push(v);
      }
      // Newest first within the window, dropping copies of rows already kept (newer windows first).
      const kept: T[] = [];
      for (let i = found.length - 1; i >= 0; i--) {
        const v = found[i] as T;
        const id = idOf(v);
        if (seen.has(id)) continue;
        if (count === q.limit) {
          truncated = true;
          break;
        }
        seen.add(id);
        kept.push(v);
        count++;
      }
      windows.push(kept);
      top = bottom;
      size *= 2;
    }
    const rows: T[] = [];
    for (let w = windows.length - 1; w >= 0; w--) {
      const kept = windows[w] as T[];
      for (let i = kept.length - 1; i >= 0; i--) rows.push(kept[i] as T);
    }
    // Near-ordered timestamps: sort so the page always gets a strictly time-ordered series.
    rows.sort((a, b) => timeOf(a) - timeOf(b));
    return { rows, truncated };
  }

  /** Decoded values of offsets [from, to): from the cache when they are among its most recent records. */
  private async values(topic: string, partition: number, from: number, to: number): Promise<(object | null)[]> {
    const end = await this.log.endOffset(topic, partition);
    if (from < end - this.cachedRecords) return this.readDecoded(topic, partition, from, to);
    const key = `${topic}/${partition}`;
    let seg = this.cache.get(key);
    if (seg === undefined) this.cache.set(key, (seg = { lo: end, values: [], busy: Promise.resolve() }));
    const s = seg;
    const extend = s.busy.then(async () => {
      const hi = s.lo + s.values.length;
      if (end > hi) for (const v of await this.readDecoded(topic, partition, hi, end)) s.values.push(v);
      if (from < s.lo) {
        const older = await this.readDecoded(topic, partition, from, s.lo);
        s.values = older.concat(s.values);
        s.lo = from;
      }
      const over = s.values.length - this.cachedRecords;
      if (over > 0) {
        s.values = s.values.slice(over);
        s.lo += over;
      }
    });
    s.busy = extend.catch(() => undefined);
    await extend;
    if (from < s.lo) return this.readDecoded(topic, partition, from, to); // trimmed meanwhile
    return s.values.slice(from - s.lo, to - s.lo);
  }

  private async readDecoded(topic: string, partition: number, from: number, to: number): Promise<(object | null)[]> {
    const out: (object | null)[] = [];
    if (to <= from) return out;
    for await (const batch of this.log.read(topic, partition, { fromOffset: from, toOffset: to })) for (const r of batch) out.push(this.tryDecode<object>(topic, r));
    return out;
  }

  private tryDecode<T>(topic: string, r: LogRecord): T | null {
    try {
      return this.decode(topic, r.value) as T;
    } catch {
      return null;
    }
  }
}
