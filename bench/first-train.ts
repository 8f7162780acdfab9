// node --import tsx bench/first-train.ts --dataset <training-set.csv> [--worker] [--json]
// The training step of `start`'s first run alone: `train --family auto` (seed 42, wasm, the options
// start uses) on a given dataset (the first run writes it to <model>/../training-set.csv; `npm run
// bench -- first-signal --keep` keeps one), timed in wall and CPU seconds (user + system of the
// process: every thread, the fold worker's included), with the time the choice of family was made
// (onFamily) and the model id, so runs before and after a change can be checked to give the same
// model. --worker shares the out-of-fold fits with a worker thread as start does (decisions.md D86).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { train, type TrainOptions } from '../model/train.ts';

const { values } = parseArgs({ options: { dataset: { type: 'string' }, worker: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
if (values.dataset === undefined) throw new Error('--dataset <training-set.csv> is required');
const out = mkdtempSync(join(tmpdir(), 'tickflow-first-train-'));
const load = loadavg()[0] as number;
const t0 = performance.now();
const cpu = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const c0 = cpu();
let chosenAt: { wallS: number; cpuS: number } | null = null;
// Loaded only with --worker: the same module start loads for its first run.
const worker = values.worker ? new (await import('../model/fold-helper.ts')).FoldWorker() : null;
try {
  const options: TrainOptions = {
    datasetPath: values.dataset,
    outDir: join(out, 'model'),
    seed: 42,
    family: 'auto',
    backend: 'wasm',
    onFamily: () => (chosenAt ??= { wallS: (performance.now() - t0) / 1000, cpuS: cpu() - c0 }),
    ...(worker ? { foldWorker: worker } : {}),
  };
  const r = await train(options);
  const result = {
    worker: values.worker,
    loadAverage1mBefore: load,
    loadAverage1mAfter: loadavg()[0] as number,
    wallS: +((performance.now() - t0) / 1000).toFixed(2),
    cpuS: +(cpu() - c0).toFixed(2),
    familyChosenAt: chosenAt,
    family: r.family,
    modelId: r.modelId,
  };
  console.log(values.json ? JSON.stringify(result) : `first-train: ${JSON.stringify(result)}`);
} finally {
  await worker?.close();
  rmSync(out, { recursive: true, force: true });
}
