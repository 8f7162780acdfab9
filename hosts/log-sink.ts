import { createHash } from 'node:crypto';
import type { GraphEvent } from '../processors/graph-events.ts';
import type { PipelineSink } from '../processors/graph.ts';
import { TOPICS } from '../schemas/index.ts';
import type { AppendRecord, EventLog } from '../storage/log/event-log.ts';
import { topicSize } from '../storage/log/topic-size.ts';
import { bodyOf, hasLegacyEncodings, legacyBodies, schemaIdOf } from '../storage/serde/legacy-encodings.ts';
import { bufferView } from '../lib/bytes.ts';

export interface Encoder {
  encode(topic: string, value: object): Uint8Array;
}

/** Where each kind of graph output is appended, and its key and record timestamp. */
function route(e: GraphEvent): { topic: string; key: string; timestamp: number; value: object } {
  switch (e.kind) {
    case 'bar':
      return { topic: TOPICS.bars.name, key: e.bar.symbol, timestamp: e.bar.tsEvent, value: e.bar };
    case 'features':
      return { topic: TOPICS.features.name, key: e.vector.symbol, timestamp: e.vector.tsEvent, value: e.vector };
    case 'signal':
      return { topic: TOPICS.signals.name, key: e.signal.symbol, timestamp: e.signal.tsEvent, value: e.signal };
    case 'health':
      return { topic: TOPICS.modelHealth.name, key: e.health.symbol, timestamp: e.health.tsEvent, value: e.health };
    case 'late':
      return { topic: TOPICS.lateEvents.name, key: e.late.symbol, timestamp: e.late.tsEvent, value: e.late };
    case 'deadLetter': {
      // avsc encodes Avro bytes from a Buffer only; processors hand over plain Uint8Arrays.
      return { topic: TOPICS.deadLetters.name, key: e.deadLetter.key || e.deadLetter.topic, timestamp: e.deadLetter.tsInit, value: { ...e.deadLetter, payload: bufferView(e.deadLetter.payload) } };
    }
  }
}

/**
 * Appends the graph's outputs to their derived topics. Because the graph is deterministic, an
 * output is the same record, byte for byte, on every run over the same inputs: its bytes are its
 * id. On restart the sink skips each output the log already holds (`recorded`, matched by content,
 * as a multiset), so a crash neither loses nor duplicates them, and records that other inputs
 * added or moved in the replay order do not shift which outputs are skipped.
 */
export class LogSink implements PipelineSink {
  private readonly queued = new Map<string, AppendRecord[]>();
  /** Outputs emitted so far per derived topic, appended or skipped (stored with a checkpoint). */
  private readonly seen = new Map<string, number>();
  appended = 0;
  /** Outputs not appended because the log already held them. */
  skipped = 0;

  constructor(
    private readonly log: EventLog,
    private readonly serde: Encoder,
    private readonly recorded: RecordedOutputs | null = null,
  ) {}

  onEvent(e: GraphEvent): void {
    const r = route(e);
    this.seen.set(r.topic, (this.seen.get(r.topic) ?? 0) + 1);
    const value = this.serde.encode(r.topic, r.value);
    if (this.recorded?.take(r.topic, value, r.value)) {
      this.skipped++;
      return;
    }
    let q = this.queued.get(r.topic);
    if (q === undefined) this.queued.set(r.topic, (q = []));
    q.push({ key: r.key, timestamp: r.timestamp, value });
  }

  /** Outputs seen so far per derived topic (stored with a checkpoint). */
  outputCounts(): Record<string, number> {
    return Object.fromEntries(this.seen);
  }

  /**
   * Continues the output count of a run restored from a checkpoint: the graph will emit only
   * outputs after `counts` (those it re-emits after the checkpoint are still matched by content).
   * Refused (returns the reason) when the log holds fewer outputs than the checkpoint counted: the
   * outputs before it would be missing, a gap; the caller then uses an older checkpoint.
   */
  resumeCounts(counts: Readonly<Record<string, number>>): string | null {
    if (this.seen.size > 0) throw new Error('resumeCounts on a sink that has seen outputs');
    for (const [topic, n] of Object.entries(counts)) {
      const have = this.recorded?.total(topic) ?? 0;
      if (n > have) return `the log holds ${have} ${topic} records, the checkpoint counted ${n}`;
    }
    for (const [topic, n] of Object.entries(counts)) this.seen.set(topic, n);
    return null;
  }

  /** Appends everything queued; resolves when durable. */
  async flush(): Promise<void> {
    for (const [topic, records] of this.take()) {
      await this.log.append(topic, records);
      this.appended += records.length;
    }
  }

  /** Hands over what is queued, by topic, without appending it (a transactional writer sends it). */
  take(): Map<string, AppendRecord[]> {
    const out = new Map<string, AppendRecord[]>();
    for (const [topic, records] of this.queued) if (records.length > 0) out.set(topic, records);
    this.queued.clear();
    return out;
  }
}

/** The derived records a log already holds, by content: what a restarted LogSink must not append again. */
export class RecordedOutputs {
  private readonly byTopic = new Map<string, Map<string, number>>();
  /** Records under an earlier schema version compared in its own encoding, by digest of their Avro body. */
  private readonly legacy = new Map<string, Map<string, number>>();
  private readonly totals = new Map<string, number>();

  /** Records the log held on the topic when read (taking does not change it). */
  total(topic: string): number {
    return this.totals.get(topic) ?? 0;
  }

  /**
   * Reads every record of the topics (a restart's one pass over the derived topics). `normalize`
   * (e.g. `toCurrentSchema`) maps each recorded value before it is counted, so that outputs
   * recorded under an older schema version match the bytes the graph produces now.
   */
  static async read(log: EventLog, topics: readonly string[], normalize?: (topic: string, value: Uint8Array) => Uint8Array): Promise<RecordedOutputs> {
    const out = new RecordedOutputs();
    const have = new Set(await log.topics());
    for (const t of topics) {
      if (!have.has(t)) continue;
      const parts = await log.partitions(t);
      const legacy = normalize !== undefined && hasLegacyEncodings(t);
      for (let p = 0; p < parts; p++) {
        for await (const b of log.read(t, p)) {
          for (const r of b) {
            const v = normalize ? normalize(t, r.value) : r.value;
            // Written under an earlier schema version compared in its own encoding (D79): kept by its body.
            if (legacy && schemaIdOf(v) !== schemaIdOf(r.value)) out.addLegacy(t, r.value);
            else out.add(t, v);
          }
        }
      }
    }
    return out;
  }

  add(topic: string, value: Uint8Array): void {
    let m = this.byTopic.get(topic);
    if (m === undefined) this.byTopic.set(topic, (m = new Map()));
    const d = digest(value);
    m.set(d, (m.get(d) ?? 0) + 1);
    this.totals.set(topic, this.total(topic) + 1);
  }

  /**
   * A record written under an earlier schema version that is compared in its own encoding
   * (storage/serde/legacy-encodings.ts, D79), kept by its Avro body.
   */
  addLegacy(topic: string, framed: Uint8Array): void {
    let m = this.legacy.get(topic);
    if (m === undefined) this.legacy.set(topic, (m = new Map()));
    const d = digest(bodyOf(framed));
    m.set(d, (m.get(d) ?? 0) + 1);
    this.totals.set(topic, this.total(topic) + 1);
  }

  /**
   * Takes one recorded copy of this record: true if the log held one not taken yet. With the
   * output's value, a record kept by addLegacy matches when the value encodes under that earlier
   * version to its body.
   */
  take(topic: string, bytes: Uint8Array, value?: object): boolean {
    if (takeOne(this.byTopic.get(topic), digest(bytes))) return true;
    const m = this.legacy.get(topic);
    if (m === undefined || m.size === 0 || value === undefined) return false;
    return legacyBodies(topic, value).some((b) => takeOne(m, digest(b)));
  }
}

function takeOne(m: Map<string, number> | undefined, d: string): boolean {
  if (m === undefined) return false;
  const n = m.get(d) ?? 0;
  if (n === 0) return false;
  if (n === 1) m.delete(d);
  else m.set(d, n - 1);
  return true;
}

/**
 * A normalizer for RecordedOutputs.read: a record whose Confluent frame names another schema id
 * than the topic's current one (written before a schema evolution, e.g. Signal v1) is read into
 * the current schema (added fields take their defaults) and re-encoded; records already under the
 * current id pass untouched (one decode and encode per topic finds that id).
 */
export function toCurrentSchema(encode: (topic: string, value: object) => Uint8Array, decode: (topic: string, bytes: Uint8Array) => unknown): (topic: string, value: Uint8Array) => Uint8Array {
  const current = new Map<string, number>();
  const idOf = (b: Uint8Array): number => (b.length >= 5 ? ((b[1] as number) * 2 ** 24 + ((b[2] as number) << 16) + ((b[3] as number) << 8) + (b[4] as number)) : -1);
  return (topic, value) => {
    const known = current.get(topic);
    if (known !== undefined && idOf(value) === known) return value;
    let again: Uint8Array;
    try {
      again = encode(topic, decode(topic, value) as object);
    } catch {
      return value; // undecodable: counted as it is (it matches nothing the graph produces)
    }
    current.set(topic, idOf(again));
    return again;
  };
}

function digest(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('base64');
}

/** Records per topic in the log (topicSize of each). */
export async function countRecords(log: EventLog, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of topics) out.set(t, await topicSize(log, t));
  return out;
}

export const DERIVED_TOPICS = [TOPICS.bars.name, TOPICS.features.name, TOPICS.signals.name, TOPICS.lateEvents.name, TOPICS.deadLetters.name, TOPICS.modelHealth.name];
