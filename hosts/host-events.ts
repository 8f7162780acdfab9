import { Instrumentation } from '../lib/instrumentation.ts';
import type { DeadLetter } from '../schemas/index.ts';

/**
 * The instrumentation events of the hosts (lib/instrumentation.ts), one catalogue for all of them:
 * the live host (runLive, levelFeedWithLog), checkpoints (GraphCheckpointer, replayWithCheckpoints)
 * and the consumer group (GroupProcessor). Names are kebab-case; payloads are plain data.
 * Listed in docs/architecture.md ("Logs and instrumentation events").
 */
export interface HostEvents {
  /** The live host processed everything the log held before it went live. */
  'caught-up': [{ inputs: number }];
  /**
   * The live host's catch-up (a replay of what the log holds after the restored checkpoint): 0 as
   * it starts, then every PROGRESS_EVERY_INPUTS inputs (hosts/live/live-runner.ts).
   */
  'catch-up-progress': [{ inputs: number }];
  /** levelFeedWithLog, after each history round on a new log: events so far, tsInit of the last one written, of the first. */
  'history-progress': [{ events: number; tsInit: number; firstTsInit: number }];
  /** The live host went live: market time of its first feed event, and its speed. */
  live: [{ liveStart: number; speed: number }];
  /** A feed resumed after what the log holds: by its recorded position or by count; topics repaired. */
  'feed-resume': [{ source: string; by: 'position' | 'count'; repaired: Record<string, number> }];
  /** The kernel rejected an input (it goes to the dead-letters topic). */
  'dead-letter': [{ topic: string; partition: number; offset: number; key: string; reason: string }];
  /** Catch-up starts from a checkpoint taken after `inputs` inputs instead of offset 0. */
  resume: [{ inputs: number; partition?: number }];
  /** A checkpoint was written after `inputs` inputs (`partition`: of a consumer-group unit). */
  checkpoint: [{ inputs: number; partition?: number }];
  /** A checkpoint that could not be used, and why. */
  'checkpoint-ignored': [{ inputs: number | null; reason: string; partition?: number }];
  /**
   * Consumer group: this member owns the partition now; state rebuilt from `replayed` inputs, after
   * the checkpoint at input `fromCheckpoint` (0: none, rebuilt from offset 0).
   */
  assigned: [{ partition: number; replayed: number; fromCheckpoint?: number }];
  /** Consumer group: this member no longer owns the partition. */
  'handed-over': [{ partition: number }];
}

export type HostEventEmitter = Instrumentation<HostEvents>;

export function hostEvents(): HostEventEmitter {
  return new Instrumentation<HostEvents>();
}

/** `dead-letter` with where the input was and why (not its bytes), when anyone listens. */
export function emitDeadLetter(events: HostEventEmitter, d: DeadLetter): void {
  if (events.listenerCount('dead-letter') > 0) events.emit('dead-letter', { topic: d.topic, partition: d.partition, offset: d.offset, key: d.key, reason: d.reason });
}
