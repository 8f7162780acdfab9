/**
 * The tear sheet on request: the page's link asks the server to backtest the current model over
 * the log it has, and the sheet lands where findTearSheet looks (`<modelDir>/backtest/`).
 * Bounded: one generation at a time (a second request while one runs is refused with 503 and
 * Retry-After), and a sheet is cached by (model id, log end offset): a request while the log has
 * not grown since the last sheet gets that sheet, not a new run. The run itself is the caller's
 * `run` (the CLI spawns `tickflow replay backtest` in a child process, so the live processing
 * thread never computes a backtest); this module holds the bounding, the cache key and the
 * atomic swap of the finished directory into place.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a generation is keyed by. */
export interface SheetKey {
  modelId: string;
  /** The log's end offset (input topics, summed over partitions) when the request came. */
  logEnd: number;
}

export type RunResult = { ok: true } | { ok: false; reason: string };

export interface TearSheetGeneratorOptions {
  /** The model directory: the sheet is written to `<modelDir>/backtest/`. */
  modelDir: string;
  /** The log's end offset now. */
  logEnd: () => Promise<number>;
  /** Writes report.json and report.html of the model into `outDir` (a fresh directory). */
  run: (outDir: string) => Promise<RunResult>;
  /** Called when a generation ends (ready or failed): a cached lookup of the sheet is stale. */
  onDone?: () => void;
  /** Wall clock for the status (not used for any result). */
  now?: () => number;
}

export type GeneratorStatus =
  | { state: 'idle'; key: SheetKey | null }
  | { state: 'generating'; key: SheetKey; startedAt: number }
  | { state: 'ready'; key: SheetKey; tookMs: number }
  | { state: 'failed'; key: SheetKey; reason: string };

/** The answer to a generate request (the HTTP layer maps it to 202 / 200 / 503). */
export type GenerateAnswer = { kind: 'started'; key: SheetKey } | { kind: 'cached'; key: SheetKey } | { kind: 'busy'; key: SheetKey; startedAt: number };

/** The key of the sheet in a directory (`request.json` beside report.json), or null. */
export const KEY_FILE = 'request.json';

export class TearSheetGenerator {
  private status: GeneratorStatus = { state: 'idle', key: null };
  private running: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: TearSheetGeneratorOptions) {
    this.now = o.now ?? Date.now;
  }

  get dir(): string {
    return join(this.o.modelDir, 'backtest');
  }

  current(): GeneratorStatus {
    return this.status;
  }

  /** Resolves when the running generation (if any) has ended. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** The key of the sheet on disk, if it was generated here (request.json). */
  async onDisk(): Promise<SheetKey | null> {
    try {
      const k = JSON.parse(await readFile(join(this.dir, KEY_FILE), 'utf8')) as Partial<SheetKey>;
      return typeof k.modelId === 'string' && typeof k.logEnd === 'number' ? { modelId: k.modelId, logEnd: k.logEnd } : null;
    } catch {
      return null;
    }
  }

  /** Starts a generation for (modelId, the log's end now), unless one runs or that sheet exists. */
  async request(modelId: string): Promise<GenerateAnswer> {
    const busy = (): GenerateAnswer | null => (this.status.state === 'generating' ? { kind: 'busy', key: this.status.key, startedAt: this.status.startedAt } : null);
    const before = busy();
    if (before !== null) return before;
    const key: SheetKey = { modelId, logEnd: await this.o.logEnd() };
    // Checked again after each await: another request may have started one meanwhile.
    const after = busy();
    if (after !== null) return after;
    const have = await this.onDisk();
    if (have !== null && have.modelId === key.modelId && have.logEnd === key.logEnd) return { kind: 'cached', key };
    const last = busy();
    if (last !== null) return last;
    const startedAt = this.now();
    this.status = { state: 'generating', key, startedAt };
    this.running = this.generate(key, startedAt).finally(() => {
      this.running = null;
      this.o.onDone?.();
    });
    return { kind: 'started', key };
  }

  private async generate(key: SheetKey, startedAt: number): Promise<void> {
    const tmp = `${this.dir}.generating`;
    try {
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      const r = await this.o.run(tmp);
      if (!r.ok) {
        this.status = { state: 'failed', key, reason: r.reason };
        return;
      }
      await writeFile(join(tmp, KEY_FILE), `${JSON.stringify(key)}\n`);
      // Swap in the finished directory: readers see the old sheet or the new one, never half of one.
      const old = `${this.dir}.old`;
      await rm(old, { recursive: true, force: true });
      await rename(this.dir, old).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      await rename(tmp, this.dir);
      await rm(old, { recursive: true, force: true });
      this.status = { state: 'ready', key, tookMs: this.now() - startedAt };
    } catch (e) {
      this.status = { state: 'failed', key, reason: (e as Error).message };
    } finally {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
