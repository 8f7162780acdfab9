import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { TOPICS, type GraphCheckpoint } from '../../schemas/index.ts';
import { partitionFor, type EventLog, type LogRecord } from '../log/event-log.ts';
import type { Checkpoint } from './checkpoint-store.ts';

/** Defaults of the log checkpoint store, visible in one place. */
export const LOG_CHECKPOINT_STORE_DEFAULTS = {
  topic: TOPICS.checkpoints.name,
  /** Records read per step when scanning back from the end for a unit's latest checkpoint. */
  scanStep: 32,
  /**
   * Largest gzipped state written, bytes: under Kafka's default message.max.bytes (1 MB) with room
   * for the record's other fields. A larger one is not written (the caller is told why).
   */
  maxStateBytes: 900_000,
} as const;

/** A key for the graph identity fields (code version, feature set, model, config hash). */
export function identityKey(identity: object): string {
  const sorted = Object.fromEntries(Object.entries(identity).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

export interface LogCheckpointStoreOptions {
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: (topic: string, bytes: Uint8Array) => unknown;
  /** Default 'checkpoints' (the catalogue's compacted topic). */
  topic?: string;
  scanStep?: number;
  maxStateBytes?: number;
}

/**
 * Checkpoints on a topic of the event log: the compacted `checkpoints` topic on Kafka (or the same
 * topic of an embedded log, which is how it is tested without a broker). One record per
 * checkpoint, key `unit|identity` (identityKey of the graph identity), value a GraphCheckpoint
 * with the snapshot text gzipped. `latest` scans the topic back from its end, a few records at a
 * time, and returns the newest record of that key that `accept` takes: normally the last record
 * of the key (compaction may have removed older ones, and nothing newer is needed), else an older
 * one while the broker has not compacted them away. A store of state the log can always rebuild:
 * when nothing is accepted the caller replays from offset 0.
 */
export class LogCheckpointStore {
  private readonly topic: string;
  private readonly scanStep: number;
  private readonly maxStateBytes: number;

  constructor(private readonly opts: LogCheckpointStoreOptions) {
    this.topic = opts.topic ?? LOG_CHECKPOINT_STORE_DEFAULTS.topic;
    this.scanStep = opts.scanStep ?? LOG_CHECKPOINT_STORE_DEFAULTS.scanStep;
    this.maxStateBytes = opts.maxStateBytes ?? LOG_CHECKPOINT_STORE_DEFAULTS.maxStateBytes;
  }

  /**
   * Appends one checkpoint of `unit` (durable when this resolves). Returns null, or why it was not
   * written (too large for a record).
   */
  async save(unit: string, identity: object, cp: Checkpoint, timestamp: number): Promise<string | null> {
    const state = gzipSync(Buffer.from(cp.state, 'utf8'));
    if (state.length > this.maxStateBytes) return `the gzipped state is ${state.length} bytes, more than ${this.maxStateBytes}`;
    const id = identityKey(identity);
    const value: GraphCheckpoint = { unit, identity: id, inputs: cp.inputs, positions: cp.positions, state };
    await this.opts.log.append(this.topic, [{ key: `${unit}|${id}`, timestamp, value: this.opts.encode(this.topic, value) }]);
    return null;
  }

  /**
   * The newest checkpoint of `unit` under `identity` that `accept` takes (null to pass it over, with
   * the reason to `onSkip`); null when there is none. Records of other units or graphs are not
   * decoded.
   */
  async latest(unit: string, identity: object, accept: (cp: Checkpoint) => string | null, onSkip: (inputs: number | null, reason: string) => void = () => {}): Promise<Checkpoint | null> {
    if (!(await this.opts.log.topics()).includes(this.topic)) return null;
    const key = `${unit}|${identityKey(identity)}`;
    const p = partitionFor(key, await this.opts.log.partitions(this.topic));
    {
      let to = await this.opts.log.endOffset(this.topic, p);
      while (to > 0) {
        const from = Math.max(0, to - this.scanStep);
        const window: LogRecord[] = [];
        for await (const batch of this.opts.log.read(this.topic, p, { fromOffset: from, toOffset: to })) window.push(...batch);
        for (let i = window.length - 1; i >= 0; i--) {
          const rec = window[i] as LogRecord;
          if (rec.key !== key) continue;
          let cp: Checkpoint;
          try {
            const v = this.opts.decode(this.topic, rec.value) as GraphCheckpoint;
            cp = { inputs: Number(v.inputs), positions: Object.fromEntries(Object.entries(v.positions).map(([k, x]) => [k, Number(x)])), state: gunzipSync(v.state).toString('utf8') };
          } catch (err) {
            onSkip(null, `unreadable checkpoint record at ${this.topic}/${p}@${rec.offset}: ${(err as Error).message}`);
            continue;
          }
          const why = accept(cp);
          if (why === null) return cp;
          onSkip(cp.inputs, why);
        }
        to = from;
      }
    }
    return null;
  }
}
