import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Defaults of the checkpoint store, visible in one place. */
export const CHECKPOINT_STORE_DEFAULTS = { keep: 3, dirName: 'checkpoints' } as const;

/** One stored checkpoint: graph state text and the log positions it corresponds to. */
export interface Checkpoint {
  /** Inputs the graph had consumed. */
  inputs: number;
  /** Next offset per `topic/partition` of the input topics (the merged reader's positions). */
  positions: Record<string, number>;
  /** snapshotGraph() text (its header carries code version, feature set, model, config hash). */
  state: string;
  /** Outputs per derived topic the graph had emitted (a live host's LogSink numbering). */
  outputs?: Record<string, number>;
}

const NAME = /^ckpt-(\d{15})\.json$/;

/**
 * Checkpoints as files in `<log dir>/checkpoints/`, named by the input count, newest kept (`keep`).
 * A write goes to a temporary file, is fsynced, renamed into place and the directory fsynced, so
 * a crash leaves either the old set or the new file whole, never a torn one; a file that does not
 * parse is skipped by latest(). Writes are synchronous: a host takes a checkpoint between two
 * inputs, when the graph state and the reader positions agree.
 */
export class CheckpointStore {
  readonly dir: string;
  private readonly keep: number;

  constructor(logDir: string, options: { keep?: number } = {}) {
    this.dir = join(logDir, CHECKPOINT_STORE_DEFAULTS.dirName);
    this.keep = options.keep ?? CHECKPOINT_STORE_DEFAULTS.keep;
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new RangeError(`keep must be a positive integer, got ${this.keep}`);
  }

  save(cp: Checkpoint): void {
    mkdirSync(this.dir, { recursive: true });
    const name = `ckpt-${String(cp.inputs).padStart(15, '0')}.json`;
    const tmp = join(this.dir, `.${name}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(cp));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    for (const old of this.names().slice(this.keep)) rmSync(join(this.dir, old), { force: true });
  }

  /**
   * Stored checkpoints, newest first, each parsed lazily; `accept` decides (e.g. restoreGraph's
   * identity check) and the first accepted one is returned. Unreadable files are reported to
   * `onSkip` and passed over.
   */
  latest<T>(accept: (cp: Checkpoint) => T | null, onSkip: (file: string, reason: string) => void = () => {}): { checkpoint: Checkpoint; accepted: T } | null {
    for (const name of this.names()) {
      let cp: Checkpoint;
      try {
        cp = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as Checkpoint;
        if (typeof cp.inputs !== 'number' || typeof cp.state !== 'string' || typeof cp.positions !== 'object' || cp.positions === null) throw new Error('not a checkpoint');
      } catch (err) {
        onSkip(name, (err as Error).message);
        continue;
      }
      const accepted = accept(cp);
      if (accepted !== null) return { checkpoint: cp, accepted };
    }
    return null;
  }

  /** File names newest (most inputs) first. */
  names(): string[] {
    let all: string[];
    try {
      all = readdirSync(this.dir);
    } catch {
      return [];
    }
    return all.filter((n) => NAME.test(n)).sort().reverse();
  }
}
