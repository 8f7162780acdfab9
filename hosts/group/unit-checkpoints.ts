import { checkIdentity, readGraphSnapshotHeader, type GraphIdentity } from '../../processors/checkpoint/index.ts';
import type { LogCheckpointStore } from '../../storage/checkpoints/log-checkpoint-store.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { CHECKPOINTING_DEFAULTS } from '../checkpointing.ts';
import { hostEvents, type HostEventEmitter } from '../host-events.ts';
import { cutCovers, type Cut, type PartitionUnit } from './partition-unit.ts';

export interface UnitCheckpointsOptions {
  store: LogCheckpointStore;
  /** The graph's identity (graphIdentity(config, predictor, codeVersion)): others' checkpoints are not used. */
  identity: GraphIdentity;
  /** Save when this many inputs (default 200,000) or this much market time (default 15 min) passed since the last one. */
  everyInputs?: number;
  everyMarketMs?: number;
  /** Checkpoints ignored (warn), restored (info), written (debug), not written (warn). Default: silent. */
  logger?: Logger;
  events?: HostEventEmitter;
}

/** The checkpoint store's name of the consumer-group unit of input partition p. */
export const unitName = (partition: number): string => `partition/${partition}`;

/**
 * Checkpoints of the consumer group's partition units on the `checkpoints` topic. On takeover,
 * `restore` puts a fresh unit in the state of the newest checkpoint of its partition that this
 * graph wrote (same identity) and that the group's committed offsets cover; the unit's rebuild
 * then replays only the inputs between the checkpoint and the committed offsets. After a round's
 * outputs and offsets are committed, `maybeSave` writes one when due. The contract is the one of
 * the embedded checkpoints: checkpoint + tail gives exactly the state (and later outputs) of a
 * rebuild from offset 0 (test/unit/group/unit-checkpoints.test.ts).
 */
export class UnitCheckpoints {
  private readonly last = new Map<number, { inputs: number; market: number }>();
  private readonly logger: Logger;
  readonly events: HostEventEmitter;

  constructor(private readonly opts: UnitCheckpointsOptions) {
    this.logger = opts.logger ?? silentLogger();
    this.events = opts.events ?? hostEvents();
  }

  /** Before the unit's first input: restores it from the newest usable checkpoint; returns its input count (0: none). */
  async restore(unit: PartitionUnit, cut: Cut): Promise<number> {
    const p = unit.partition;
    const ignore = (inputs: number | null, reason: string): void => {
      this.logger.warn({ event: 'checkpoint-ignored', partition: p, inputs }, `partition ${p}: ignoring ${inputs === null ? reason : `the checkpoint at input ${inputs}: ${reason}`}`);
      this.events.emit('checkpoint-ignored', { inputs, reason, partition: p });
    };
    let found;
    try {
      found = await this.opts.store.latest(unitName(p), this.opts.identity, (cp) => {
        // A unit of a cross-symbol set also reads the reference's partition (D61): its positions are the unit's too.
        const foreign = Object.keys(cp.positions).find((k) => !unit.reads.some((r) => k.endsWith(`/${r}`)));
        if (foreign !== undefined) return `it holds a position of ${foreign}, not of partition ${unit.reads.join(' or ')}`;
        try {
          checkIdentity(readGraphSnapshotHeader(cp.state), this.opts.identity);
        } catch (err) {
          return (err as Error).message;
        }
        if (!cutCovers(cut, new Map(Object.entries(cp.positions)))) return 'it is past the committed offsets (its round was not committed)';
        return null;
      }, ignore);
    } catch (err) {
      // A cache: if it cannot be read, the unit is rebuilt from offset 0 as without checkpoints.
      ignore(null, `the checkpoints topic could not be read (${(err as Error).message})`);
      return 0;
    }
    if (found === null) return 0;
    await unit.restore(found.state, found.positions, this.opts.identity);
    this.last.set(p, { inputs: found.inputs, market: Number.NEGATIVE_INFINITY });
    this.logger.info({ event: 'resume', partition: p, inputs: found.inputs }, `partition ${p}: state from the checkpoint at input ${found.inputs}`);
    this.events.emit('resume', { inputs: found.inputs, partition: p });
    return found.inputs;
  }

  /**
   * Call after the unit's round was committed (its outputs durable, its offsets the group's):
   * writes a checkpoint when due. `marketTime` = the round's bound. A failed write is logged and
   * costs nothing but a longer rebuild at the next takeover.
   */
  async maybeSave(unit: PartitionUnit, marketTime: number, timestamp: number): Promise<boolean> {
    const p = unit.partition;
    const inputs = unit.stats.inputs;
    const last = this.last.get(p) ?? { inputs: 0, market: Number.NEGATIVE_INFINITY };
    if (inputs === last.inputs) return false;
    const every = this.opts.everyInputs ?? CHECKPOINTING_DEFAULTS.everyInputs;
    const everyMs = this.opts.everyMarketMs ?? CHECKPOINTING_DEFAULTS.everyMarketMs;
    if (Number.isFinite(last.market) && inputs - last.inputs < every && marketTime - last.market < everyMs) return false;
    const cp = unit.snapshot(this.opts.identity);
    this.last.set(p, { inputs, market: Number.isFinite(marketTime) ? marketTime : last.market });
    try {
      const why = await this.opts.store.save(unitName(p), this.opts.identity, cp, timestamp);
      if (why !== null) {
        this.logger.warn({ partition: p, inputs }, `partition ${p}: checkpoint at input ${inputs} not written: ${why}`);
        return false;
      }
    } catch (err) {
      this.logger.warn({ partition: p, inputs }, `partition ${p}: checkpoint at input ${inputs} not written: ${(err as Error).message}`);
      return false;
    }
    this.logger.debug({ event: 'checkpoint', partition: p, inputs }, `partition ${p}: checkpoint written at input ${inputs}`);
    this.events.emit('checkpoint', { inputs, partition: p });
    return true;
  }

  /** Forgets a partition given up (a later owner of it starts its own count). */
  forget(partition: number): void {
    this.last.delete(partition);
  }
}
