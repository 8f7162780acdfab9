import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../../processors/math/rng.ts';
import { predictRows, type TrainingData } from '../../../model/evaluation/cross-validate.ts';
import { FoldWorker } from '../../../model/fold-helper.ts';
import { outOfFold, type FoldHelper, type FoldJob } from '../../../model/stack.ts';
import { baseFits, type StackFitOptions } from '../../../model/stack-fit.ts';

const HORIZON = 3 * 300_000;
/** Small enough for a unit test, every base family (logistic, GBDT, MLP on tfjs wasm) fitted for real. */
const OPTIONS: StackFitOptions = { backend: 'wasm', epochs: 4, batchSize: 64, patience: 2, gbdt: { maxRounds: 15 }, horizonMs: HORIZON, embargoMs: HORIZON, folds: 3 };

/** Two symbols per bar, 4 features, labels that depend on the first two (so the fits learn something). */
function data(bars: number): TrainingData {
  const rng = new Rng(9);
  const n = bars * 2;
  const dim = 4;
  const features = new Float64Array(n * dim);
  const labels = new Uint8Array(n);
  const barEnd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) features[i * dim + j] = rng.normal();
    const s = (features[i * dim] as number) + 0.5 * (features[i * dim + 1] as number) + rng.normal();
    labels[i] = s > 0.5 ? 2 : s < -0.5 ? 0 : 1;
    barEnd[i] = 1_700_000_000_000 + Math.floor(i / 2) * 300_000;
  }
  return { features, dim, labels, barEnd };
}

const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('out-of-fold fits shared with a worker thread (model/fold-helper.ts)', () => {
  test('the worker fits every base family to the same bits as this thread', async () => {
    const d = data(300);
    const rows = (from: number, to: number): Uint32Array => Uint32Array.from({ length: to - from }, (_, i) => from + i);
    const jobs: FoldJob[] = [0, 1, 2].map((base) => ({ base, fold: 0, trainRows: rows(0, 400), testRows: rows(420, 600), seed: 7 + base }));
    const worker = new FoldWorker();
    try {
      // The worker alone claims every job here (this thread claims none).
      const theirs = await worker.helperFor(OPTIONS).run(d, jobs, new Int32Array(new SharedArrayBuffer(4)));
      assert.deepEqual([...theirs.keys()].sort(), [0, 1, 2]);
      const fits = baseFits(OPTIONS);
      for (const [j, job] of jobs.entries()) {
        const model = await (fits[job.base] as (typeof fits)[number])(d, job.trainRows, job.seed);
        const mine = predictRows(model, d, job.testRows);
        model.dispose?.();
        assert.equal(bits(theirs.get(j) as Float64Array), bits(mine), `base ${job.base}: the worker's probabilities differ from this thread's`);
      }
    } finally {
      await worker.close();
    }
  });

  test('outOfFold with the worker gives the serial run\'s predictions bit for bit', async () => {
    const d = data(300);
    const trainVal = Uint32Array.from({ length: 520 }, (_, i) => i);
    const o = { folds: OPTIONS.folds, horizonMs: HORIZON, embargoMs: HORIZON, seed: 3 };
    const serial = await outOfFold(d, trainVal, baseFits(OPTIONS), o);
    const worker = new FoldWorker();
    try {
      const shared = await outOfFold(d, trainVal, baseFits(OPTIONS), { ...o, helper: worker.helperFor(OPTIONS), slowestFirst: [2, 1, 0] });
      assert.equal(shared.probs.length, 3);
      for (const b of [0, 1, 2]) assert.equal(bits(shared.probs[b] as Float64Array), bits(serial.probs[b] as Float64Array), `base ${b}`);
      assert.deepEqual(shared.folds, serial.folds);
    } finally {
      await worker.close();
    }
  });

  test('a helper that fails after claiming jobs leaves them to this thread: same predictions', async () => {
    const d = data(200);
    const trainVal = Uint32Array.from({ length: 340 }, (_, i) => i);
    const o = { folds: 3, horizonMs: HORIZON, embargoMs: HORIZON, seed: 3 };
    const fits = baseFits({ ...OPTIONS, epochs: 2 });
    const serial = await outOfFold(d, trainVal, fits, o);
    let claimed = 0;
    const failing: FoldHelper = {
      run: (_data, _jobs, counter) => {
        // Claims two jobs, then dies without returning them.
        Atomics.add(counter, 0, 1);
        Atomics.add(counter, 0, 1);
        claimed = 2;
        return Promise.reject(new Error('worker crashed'));
      },
    };
    const shared = await outOfFold(d, trainVal, fits, { ...o, helper: failing });
    assert.equal(claimed, 2);
    for (const b of [0, 1, 2]) assert.equal(bits(shared.probs[b] as Float64Array), bits(serial.probs[b] as Float64Array), `base ${b}`);
  });
});
