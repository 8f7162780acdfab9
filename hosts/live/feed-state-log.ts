import { LogCheckpointStore } from '../../storage/checkpoints/log-checkpoint-store.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import type { FeedStateStore, SavedFeedState } from './feed-writer.ts';

/** The checkpoint store's unit name of a feed's saved state (`feed/<source>`, beside the group's `partition/<p>`). */
export const feedStateUnit = (source: string): string => `feed/${source}`;

export interface LogFeedStateStoreOptions {
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: (topic: string, bytes: Uint8Array) => unknown;
  source: string;
  /** Default: the catalogue's compacted `checkpoints` topic. */
  topic?: string;
  /** The record timestamp of a save (ms). Default: the wall clock (a control record, never replayed). */
  now?: () => number;
  /** Where a state too large for a record is reported (it is then not saved). Default: silent. */
  logger?: Logger;
}

/**
 * A feed's latest saved state on the log itself, for a log with no directory beside it (Kafka):
 * one record per save on the compacted `checkpoints` topic (decisions.md D88), key
 * `feed/<source>|<identity hash of the source>`, so compaction keeps each source's newest state
 * beside the consumer group's partition checkpoints. The value is a GraphCheckpoint record whose
 * gzipped `state` is the same SavedFeedState JSON the embedded log keeps in its file
 * (hosts/live/feed-state-file.ts), `inputs` = its event count `at`: one format on both logs, and
 * levelFeedWithLog applies the same checks to it (source, parameters, at or before the log's
 * recorded position, generator code version inside the state). levelFeedWithLog saves only after
 * the round that the state follows is durable (its feed position record and its records), so a
 * crash leaves at worst an older state. `load` returns the newest record of the key that parses;
 * a topic that cannot be read is no state (the market is regenerated, as without one).
 */
export class LogFeedStateStore implements FeedStateStore {
  private readonly store: LogCheckpointStore;
  private readonly unit: string;
  private readonly identity: { feedState: string };
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(opts: LogFeedStateStoreOptions) {
    this.store = new LogCheckpointStore({ log: opts.log, encode: opts.encode, decode: opts.decode, ...(opts.topic === undefined ? {} : { topic: opts.topic }) });
    this.unit = feedStateUnit(opts.source);
    this.identity = { feedState: opts.source };
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? silentLogger();
  }

  async load(): Promise<SavedFeedState | null> {
    try {
      const cp = await this.store.latest(this.unit, this.identity, (c) => (parseSaved(c.state, c.inputs) === null ? 'not a saved feed state' : null));
      return cp === null ? null : parseSaved(cp.state, cp.inputs);
    } catch {
      return null;
    }
  }

  async save(s: SavedFeedState): Promise<void> {
    const why = await this.store.save(this.unit, this.identity, { inputs: s.at, positions: {}, state: JSON.stringify(s) }, this.now());
    // A cache: a state too large for one record costs a regeneration at the next restart, nothing else.
    if (why !== null) this.logger.warn({ event: 'feed-state-not-saved', source: s.source, at: s.at }, `${s.source}: its state after ${s.at} events was not saved: ${why}`);
  }
}

/** The SavedFeedState in a record's text, or null when it is not one (or disagrees with the record's count). */
function parseSaved(text: string, at: number): SavedFeedState | null {
  try {
    const s = JSON.parse(text) as SavedFeedState;
    return s !== null && typeof s === 'object' && typeof s.source === 'string' && typeof s.feed === 'string' && Number.isSafeInteger(s.at) && s.at === at && typeof s.state === 'string' ? s : null;
  } catch {
    return null;
  }
}
