import { Worker } from 'node:worker_threads';
import type { TrainingData } from './evaluation/cross-validate.ts';
import type { FromFoldWorker, HelperFitOptions, ToFoldWorker } from './fold-protocol.ts';
import type { FoldHelper, FoldJob } from './stack.ts';
import { workerFlags } from '../lib/worker-flags.ts';

/**
 * A worker thread that shares the out-of-fold fits of `auto` and `stack` with the main thread
 * (model/stack.ts outOfFold): on 2 cores the 15 fits (3 bases x 5 folds) take about half the
 * wall time. Started early (`start` starts it before building the training set, so its module
 * loading and tfjs's wasm initialization overlap that work), used once, then closed. If it fails
 * or exits, the main thread fits whatever it did not return: the result is the same either way.
 */
export class FoldWorker {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private failure: Error | null = null;
  private onMessage: ((m: FromFoldWorker) => void) | null = null;

  constructor() {
    this.worker = new Worker(new URL('./fold-worker-boot.mjs', import.meta.url), { execArgv: workerFlags() });
    // It must not keep the process alive, nor hold a core once the fits are done.
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.onMessage = (m) => {
        if (m.t === 'ready') resolve();
        else if (m.t === 'failed') reject(new Error(m.message));
      };
    });
    this.ready.catch((err: unknown) => (this.failure = err as Error));
    this.worker.on('message', (m: FromFoldWorker) => this.onMessage?.(m));
    this.worker.on('error', (err) => {
      this.failure = err;
      this.onMessage?.({ t: 'failed', message: err.message });
    });
    this.worker.on('exit', (code) => {
      this.failure ??= new Error(`fold worker exited with code ${code}`);
      this.onMessage?.({ t: 'failed', message: this.failure.message });
    });
  }

  /** The helper for one out-of-fold run with these base options (as train builds them). */
  helperFor(options: HelperFitOptions & { logger?: unknown }): FoldHelper {
    const cloneable: HelperFitOptions = { ...options };
    delete (cloneable as { logger?: unknown }).logger;
    return {
      run: async (data: TrainingData, jobs: readonly FoldJob[], counter: Int32Array): Promise<Map<number, Float64Array>> => {
        await this.ready;
        if (this.failure) throw this.failure;
        const results = new Map<number, Float64Array>();
        // On a failure, the results so far (each a whole job) and no more: the caller fits the rest.
        const done = new Promise<Map<number, Float64Array>>((resolve) => {
          this.onMessage = (m) => {
            if (m.t === 'result') results.set(m.job, m.probs);
            else resolve(results);
          };
        });
        this.worker.postMessage({ t: 'run', data, jobs, counter, options: cloneable } satisfies ToFoldWorker);
        return done;
      },
    };
  }

  /** Stops the thread (idempotent). */
  async close(): Promise<void> {
    this.onMessage = null;
    await this.worker.terminate();
  }
}
