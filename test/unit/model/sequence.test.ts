import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../model/backend.ts';
import { buildWindows, SequenceModel, windowFeatureNames, withFullWindow } from '../../../model/sequence.ts';
import { buildSequenceNet, sequenceParams } from '../../../model/sequence-net.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPredictor } from '../../../model/predictor.ts';
import { SeedAverage } from '../../../model/seed-average.ts';
import type { SequenceParams } from '../../../model/sequence.ts';
import { train } from '../../../model/train.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

describe('sequence family (TCN)', () => {
  test('float64 JavaScript inference matches tfjs predict on the same weights (|diff| <= 2e-6 per probability)', async () => {
    // Reference: tfjs's own float32 forward pass (model.predict) of the network as trained; the
    // float64 evaluation differs only by float32 rounding, bounded here at 2e-6 per probability.
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const dim = 5;
      const net = buildSequenceNet(dim, 42, { window: 16, filters: 8, l2: 0, learningRate: 1e-3 });
      // Train a few steps so the biases are not zero.
      const rng = new Rng(3);
      const n = 64;
      const x = Float32Array.from({ length: n * 16 * dim }, () => rng.next() * 4 - 2);
      const y = new Float32Array(n * 3);
      for (let r = 0; r < n; r++) y[r * 3 + (r % 3)] = 1;
      const xs = tf.tensor2d(x, [n, 16 * dim]);
      const ys = tf.tensor2d(y, [n, 3]);
      for (let i = 0; i < 20; i++) await net.trainOnBatch(xs, ys);
      const params = sequenceParams(net, 16, dim, { mean: Array(dim).fill(0), std: Array(dim).fill(1) });
      assert.ok(params.convs.some((c) => c.bias.some((b) => b !== 0)), 'biases trained');
      const model = new SequenceModel(JSON.parse(JSON.stringify(params)));
      const ref = (net.predict(xs) as tf.Tensor).dataSync();
      let worst = 0;
      for (let r = 0; r < n; r++) {
        const p = model.score(Float64Array.from(x.subarray(r * 16 * dim, (r + 1) * 16 * dim)));
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs((p[c] as number) - (ref[r * 3 + c] as number)));
      }
      assert.ok(worst <= 2e-6, `${backend}: worst |float64 - tfjs| ${worst}`);
      console.log(`# ${backend}: worst |float64 - tfjs predict| = ${worst}`);
      tf.dispose([xs, ys]);
      net.dispose();
    }
  });

  test('standardization applies per step; NaN in gives NaN out; a wrong length is refused', () => {
    const dim = 2;
    const w = 4;
    const convs = [
      { inDim: 2, outDim: 1, kernel: [1, 0, 0, 0], bias: [0] },
      { inDim: 1, outDim: 1, kernel: [0, 1], bias: [0] },
    ];
    // Output = relu(z of step 2, feature 0) fed to the Dense: logits [v, 0, 0].
    const m = new SequenceModel({ window: w, dim, mean: [1, 0], std: [2, 1], convs, dense: { inDim: 1, kernel: [1, 0, 0], bias: [0, 0, 0] } });
    const p = m.score([0, 0, 0, 0, 5, 0, 0, 0]);
    const v = (5 - 1) / 2;
    const e = Math.exp(v);
    assert.ok(Math.abs((p[0] as number) - e / (e + 2)) < 1e-15);
    assert.ok(Number.isNaN(m.score([0, 0, 0, 0, Number.NaN, 0, 0, 0])[0]));
    assert.throws(() => m.score([0, 0]), /expected 8 values/);
  });

  test('incremental scoring (D76) is bit-identical to scoring the concatenated window, row after row, for random weights and rows', () => {
    // Reference: score() of the window as concatenated (the full forward pass). Weights, biases
    // (many negative, so relu clips) and rows are seeded random; outputs not a multiple of 4
    // exercise the remainder loop; windows 2, 4, 8, 16.
    const rng = new Rng(2024);
    const randomParams = (window: number, dim: number, filters: number): SequenceParams => {
      const convs = [];
      for (let inDim = dim, w = window; w > 1; w /= 2, inDim = filters) {
        convs.push({ inDim, outDim: filters, kernel: Array.from({ length: 2 * inDim * filters }, () => rng.normal() * 0.6), bias: Array.from({ length: filters }, () => rng.normal() * 0.3) });
      }
      return {
        window,
        dim,
        mean: Array.from({ length: dim }, () => rng.normal()),
        std: Array.from({ length: dim }, () => 0.5 + rng.next()),
        convs,
        dense: { inDim: filters, kernel: Array.from({ length: filters * 3 }, () => rng.normal()), bias: Array.from({ length: 3 }, () => rng.normal() * 0.1) },
      };
    };
    let compared = 0;
    for (const [window, dim, filters] of [[16, 7, 16], [16, 5, 6], [8, 3, 5], [4, 9, 4], [2, 4, 3]] as const) {
      const model = new SequenceModel(randomParams(window, dim, filters));
      // A seed average of two members streams too, averaged in the same order.
      const avg = new SeedAverage([model, new SequenceModel(randomParams(window, dim, filters))]);
      const stream = model.stream();
      const avgStream = (avg.stream as () => ReturnType<typeof model.stream>)();
      const rows: number[][] = [];
      for (let t = 0; t < 200; t++) {
        const row = Array.from({ length: dim }, () => rng.normal() * 2);
        rows.push(row);
        const full = stream.push(row);
        assert.equal(avgStream.push(row), full);
        assert.equal(full, rows.length >= window, `window ${window}: full after ${rows.length} rows`);
        if (!full) {
          assert.throws(() => stream.score(), /a window needs/);
          continue;
        }
        const concat = rows.slice(-window).flat();
        const want = [...model.score(concat)];
        const got = [...stream.score()];
        for (let c = 0; c < 3; c++) assert.ok(Object.is(got[c], want[c]), `window ${window}, row ${t}, class ${c}: ${got[c]} != ${want[c]}`);
        const wantAvg = [...avg.score(concat)];
        const gotAvg = [...avgStream.score()];
        for (let c = 0; c < 3; c++) assert.ok(Object.is(gotAvg[c], wantAvg[c]), `seed average, window ${window}, row ${t}`);
        compared++;
      }
      assert.throws(() => stream.push([1]), /expected \d+ values \(one step\)/);
    }
    assert.equal(compared, 5 * 200 - (15 + 15 + 7 + 3 + 1));
  });

  test('windows: per symbol, oldest first, rows without a full window left out', () => {
    // Rows alternate symbols 0,1,0,1,...; feature = row index.
    const rows = 10;
    const features = Float64Array.from({ length: rows }, (_, i) => i);
    const sym = Uint32Array.from({ length: rows }, (_, i) => i % 2);
    const w = buildWindows(features, 1, sym, 4);
    assert.deepEqual([...w.full], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    assert.deepEqual([...w.features.subarray(6 * 4, 7 * 4)], [0, 2, 4, 6]);
    assert.deepEqual([...w.features.subarray(9 * 4, 10 * 4)], [3, 5, 7, 9]);
    assert.deepEqual([...withFullWindow(Uint32Array.from([1, 6, 7]), w.full)], [6, 7]);
    assert.deepEqual(windowFeatureNames(['a', 'b'], 2), ['a@t-1', 'b@t-1', 'a@t-0', 'b@t-0']);
  });
});

describe('train --family sequence', () => {
  const csv = writeSyntheticDataset({ bars: 700, kind: 'linear', seed: 5 });

  test('same seed, same bytes of saved model; the saved model reproduces its test predictions; calibration and heads as every family', async () => {
    const [a, b] = [tempDir(), tempDir()];
    const opts = { datasetPath: csv, seed: 3, family: 'sequence' as const, epochs: 40, batchSize: 64, backend: 'cpu' as const, sequence: { window: 8, filters: 8, learningRate: 3e-3 } };
    const ra = await train({ ...opts, outDir: a });
    const rb = await train({ ...opts, outDir: b });
    assert.equal(ra.family, 'sequence');
    assert.equal(ra.modelId, rb.modelId);
    for (const f of ['params.json', 'manifest.json']) assert.deepEqual(readFileSync(join(a, f)), readFileSync(join(b, f)), f);
    // The first 7 rows of each of the 2 symbols have no full window: they leave the train split only.
    assert.equal(ra.trainRows, ra.manifest.split.train.rows - 2 * 7);
    assert.equal(ra.testRows, ra.manifest.split.test.rows);
    assert.ok(ra.manifest.heads !== undefined && ra.manifest.calibration !== undefined);
    assert.equal(ra.manifest.contributions, undefined);
    // The planted signal is in the last step (the row itself): the network finds it.
    assert.ok((ra.metrics.macroAuc as number) > 0.8, `test AUC ${ra.metrics.macroAuc}`);
    const p = await loadPredictor(a);
    assert.equal(p.window, 8);
    assert.throws(() => p.predict(new Float64Array(p.featureNames.length)), /expected 48 values/);
  });
});
