/**
 * The out-of-fold helper thread (model/fold-helper.ts): loads the model lab and tfjs's wasm
 * backend as soon as it starts, then fits the jobs it claims from the shared counter with the same
 * base FitFns the main thread builds (model/stack-fit.ts baseFits) and posts each job's test
 * probabilities back.
 */
import { parentPort } from 'node:worker_threads';
import { useBackend } from './backend.ts';
import { predictRows } from './evaluation/cross-validate.ts';
import type { FromFoldWorker, ToFoldWorker } from './fold-protocol.ts';
import { baseFits } from './stack-fit.ts';

const port = parentPort;
if (port === null) throw new Error('fold-worker.ts runs as a worker thread');
const post = (m: FromFoldWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

async function run(m: ToFoldWorker): Promise<void> {
  const fits = baseFits(m.options);
  for (let j = Atomics.add(m.counter, 0, 1); j < m.jobs.length; j = Atomics.add(m.counter, 0, 1)) {
    const job = m.jobs[j] as (typeof m.jobs)[number];
    const model = await (fits[job.base] as (typeof fits)[number])(m.data, job.trainRows, job.seed);
    try {
      const probs = predictRows(model, m.data, job.testRows);
      post({ t: 'result', job: j, probs }, [probs.buffer as ArrayBuffer]);
    } finally {
      model.dispose?.();
    }
  }
  post({ t: 'done' });
}

port.on('message', (m: ToFoldWorker) => {
  run(m).catch((err: unknown) => post({ t: 'failed', message: err instanceof Error ? err.message : String(err) }));
});
// Warm up while the main thread still builds the training set: the wasm backend is what the MLP
// fits use (the default backend of `start`), initialized once per thread.
useBackend('wasm').then(
  () => post({ t: 'ready' }),
  (err: unknown) => post({ t: 'failed', message: err instanceof Error ? err.message : String(err) }),
);
