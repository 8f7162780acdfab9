import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CalibrationParams } from '../../../model/calibration.ts';
import { readDataset } from '../../../model/dataset.ts';
import { ModelError } from '../../../model/errors.ts';
import type { GbdtParams } from '../../../model/gbdt-model.ts';
import type { ModelManifest } from '../../../model/manifest.ts';
import { exportOnnx, gbdtToOnnx } from '../../../model/onnx/onnx-export.ts';
import { readOnnxModelInfo } from '../../../model/onnx/onnx-model-info.ts';
import { loadOnnxPredictor } from '../../../model/onnx/onnx-predictor.ts';
import { OnnxSession, Tensor } from '../../../model/onnx/onnx-session.ts';
import { loadPredictor, ModelPredictor } from '../../../model/predictor.ts';
import { train } from '../../../model/train.ts';
import { featureSetById } from '../../../processors/graph.ts';
import { runCli, type CliResult } from '../../helpers/cli.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

/**
 * Both sides compute in float64 (the exported graphs take float64 input, float64 splits, weights and
 * leaf values); only the order of the sums may differ (onnxruntime's MatMul blocks its dot products,
 * its TreeEnsemble adds the trees of a class in its own order), so differences are rounding in the
 * last bits. 1e-9 leaves that a wide margin while catching any wrong split, leaf or layer (those
 * move probabilities by 1e-3 or more).
 */
const TOLERANCE = 1e-9;

/** The synthetic dataset with its columns renamed to core features, so the export can be re-imported. */
function coreDataset(): { file: string; names: string[] } {
  const file = writeSyntheticDataset({ bars: 400, kind: 'linear', seed: 5 });
  const names = featureSetById('core-v1').names.slice(0, 6);
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace('f0,f1,f2,f3,f4,f5', names.join(',')));
  return { file, names };
}

function runExported(bytes: Uint8Array, rows: Float64Array, d: number): Float64Array {
  const s = new OnnxSession(bytes);
  try {
    return s.run('X', new Tensor('float64', rows, [rows.length / d, d]), 'probabilities') as Float64Array;
  } finally {
    s.dispose();
  }
}

function maxDiff(out: Float64Array, p: ModelPredictor, features: Float64Array, dim: number, rows: number): number {
  let max = 0;
  for (let r = 0; r < rows; r++) {
    const own = p.predict(features.subarray(r * dim, (r + 1) * dim));
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs((out[r * 3 + c] as number) - own[c]!));
  }
  return max;
}

describe('ONNX export of the gbdt and mlp families', async () => {
  const { file, names } = coreDataset();
  const ds = await readDataset(file);
  const dirs = { gbdt: tempDir(), mlp: tempDir() };
  await train({ datasetPath: file, outDir: dirs.gbdt, seed: 1, family: 'gbdt' });
  await train({ datasetPath: file, outDir: dirs.mlp, seed: 1, family: 'mlp' });

  for (const family of ['gbdt', 'mlp'] as const) {
    test(`${family}: onnxruntime-node gives the probabilities tickflow's float64 predictor gives on every dataset row (${TOLERANCE})`, async (t) => {
      const p = await loadPredictor(dirs[family]);
      const bytes = await exportOnnx(dirs[family], p.manifest);
      const info = readOnnxModelInfo(bytes);
      assert.equal(info.producer.name, 'tickflow');
      if (family === 'gbdt') assert.deepEqual(info.opsets, [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 5 }]);
      const out = runExported(bytes, ds.features, ds.dim);
      assert.equal(out.length, ds.rows * 3);
      assert.ok(ds.rows >= 300, `${ds.rows} rows`);
      const max = maxDiff(out, p, ds.features, ds.dim, ds.rows);
      t.diagnostic(`max |diff| ${max} over ${ds.rows} rows`);
      assert.ok(max < TOLERANCE, `max |diff| ${max} over ${ds.rows} rows`);
    });
  }

  test('gbdt: a temperature calibrator is expressed (Div(T) before the softmax); isotonic is refused; a single-leaf tree exports', async () => {
    const p = await loadPredictor(dirs.gbdt);
    const params = JSON.parse(readFileSync(join(dirs.gbdt, 'params.json'), 'utf8')) as GbdtParams;
    const tempered = { ...p.manifest, calibration: { method: 'temperature', temperature: 0.6 } as CalibrationParams } as ModelManifest;
    const own = new ModelPredictor(tempered, p.model);
    assert.ok(maxDiff(runExported(gbdtToOnnx(tempered, params), ds.features, ds.dim), own, ds.features, ds.dim, ds.rows) < TOLERANCE);
    const isotonic = { ...p.manifest, calibration: { method: 'isotonic' } as CalibrationParams } as ModelManifest;
    assert.throws(() => gbdtToOnnx(isotonic, params), (e: unknown) => e instanceof ModelError && e.code === 'ONNX_INVALID' && /isotonic/.test(e.message));
    // One extra round whose class-1 tree is a lone leaf: the exported graph must add its value to every row.
    const leaf = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.25] };
    const withLeaf: GbdtParams = { ...params, rounds: [...params.rounds, [params.rounds[0]![0]!, leaf, params.rounds[0]![2]!]] };
    const { GbdtModel } = await import('../../../model/gbdt-model.ts');
    const ownLeaf = new ModelPredictor(p.manifest, new GbdtModel(withLeaf));
    assert.ok(maxDiff(runExported(gbdtToOnnx(p.manifest, withLeaf), ds.features, ds.dim), ownLeaf, ds.features, ds.dim, ds.rows) < TOLERANCE);
  });

  test('a stack is refused with the reason', async () => {
    const p = await loadPredictor(dirs.gbdt);
    await assert.rejects(exportOnnx(dirs.gbdt, { ...p.manifest, family: 'stack' }), /supports the logistic, gbdt and mlp families; model [0-9a-f]{16} is stack/);
  });

  for (const family of ['gbdt', 'mlp'] as const) {
    test(`tickflow model export of a ${family} model, then model import --onnx of the file, serves the same probabilities`, async () => {
      const out = join(tempDir(), `${family}.onnx`);
      const imported = join(tempDir(), 'imported');
      const cases = [
        ['model', 'export', '--onnx', out, '--model', dirs[family]],
        ['model', 'import', '--onnx', out, '--features', names.join(','), '--out', imported],
      ];
      // gbdt: both commands in one CLI process, in order (test/helpers/cli-batch.ts, D97, D121); mlp:
      // a process each, the process edge of export and import (exit code, output, no handle left
      // open at exit).
      const [ex, im] = (family === 'gbdt' ? await runCliBatch(cases) : [await runCli(cases[0]!), await runCli(cases[1]!)]) as [CliResult, CliResult];
      assert.equal(ex.code, 0, ex.stderr);
      assert.equal(ex.json['family'], family);
      assert.equal(ex.json['mlOpset'], family === 'gbdt' ? 5 : undefined);
      assert.ok((ex.json['maxAbsDiff'] as number) < TOLERANCE);
      assert.equal(im.code, 0, im.stderr);
      assert.deepEqual(im.json['columns'], ['UP', 'FLAT', 'DOWN']);
      const own = await loadPredictor(dirs[family]);
      const back = await loadOnnxPredictor(imported);
      try {
        let max = 0;
        for (let r = 0; r < ds.rows; r++) {
          const row = ds.features.subarray(r * ds.dim, (r + 1) * ds.dim);
          const a = own.predict(row);
          const b = back.predict(Float64Array.from(row));
          for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(a[c]! - b[c]!));
        }
        assert.ok(max < TOLERANCE, `max |diff| ${max}`);
      } finally {
        back.dispose();
      }
    });
  }
});
