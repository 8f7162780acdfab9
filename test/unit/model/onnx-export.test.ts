import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readDataset } from '../../../model/dataset.ts';
import { ModelError } from '../../../model/errors.ts';
import type { CalibrationParams } from '../../../model/calibration.ts';
import type { ModelManifest } from '../../../model/manifest.ts';
import { logisticToOnnx, probeRows } from '../../../model/onnx/onnx-export.ts';
import { readOnnxModelInfo } from '../../../model/onnx/onnx-model-info.ts';
import { OnnxSession, Tensor } from '../../../model/onnx/onnx-session.ts';
import { loadPredictor, ModelPredictor } from '../../../model/predictor.ts';
import { train } from '../../../model/train.ts';
import type { LogisticParams } from '../../../model/logistic.ts';
import { readFileSync } from 'node:fs';
import type { CliResult } from '../../helpers/cli.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

/** Same operations in float64 on both sides; only the order of MatMul's sum may differ in the last bits. */
const TOLERANCE = 1e-12;

/** onnxruntime's probabilities for row-major rows through an exported graph. */
function runExported(bytes: Uint8Array, rows: Float64Array, d: number): Float64Array {
  const s = new OnnxSession(bytes);
  try {
    return s.run('X', new Tensor('float64', rows, [rows.length / d, d]), 'probabilities') as Float64Array;
  } finally {
    s.dispose();
  }
}

describe('ONNX export of tickflow models', async () => {
  const dataset = writeSyntheticDataset({ bars: 1000, kind: 'linear', seed: 3 });
  const dir = tempDir();
  await train({ datasetPath: dataset, outDir: dir, seed: 1, family: 'logistic' });
  const ds = await readDataset(dataset);

  test('a logistic model exported to ONNX gives, in onnxruntime-node, the probabilities tickflow gives on every dataset row', async () => {
    const p = await loadPredictor(dir);
    const bytes = logisticToOnnx(p.manifest, JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')) as LogisticParams);
    const info = readOnnxModelInfo(bytes);
    assert.deepEqual(info.opsets, [{ domain: '', version: 17 }]);
    assert.equal(info.producer.name, 'tickflow');
    const out = runExported(bytes, ds.features, ds.dim);
    assert.equal(out.length, ds.rows * 3);
    let max = 0;
    for (let r = 0; r < ds.rows; r++) {
      const own = p.predict(ds.features.subarray(r * ds.dim, (r + 1) * ds.dim));
      for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs((out[r * 3 + c] as number) - own[c]!));
    }
    assert.ok(max < TOLERANCE, `max |diff| ${max} over ${ds.rows} rows`);
  });

  test('a temperature calibrator becomes Div(T) before the softmax; isotonic is refused', async () => {
    const p = await loadPredictor(dir);
    const params = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')) as LogisticParams;
    const tempered = { ...p.manifest, calibration: { method: 'temperature', temperature: 1.7 } as CalibrationParams } as ModelManifest;
    const own = new ModelPredictor(tempered, p.model);
    const rows = probeRows(tempered);
    const out = runExported(logisticToOnnx(tempered, params), Float64Array.from(rows.flatMap((r) => Array.from(r))), ds.dim);
    for (const [i, row] of rows.entries()) {
      const q = own.predict(row);
      for (let c = 0; c < 3; c++) assert.ok(Math.abs((out[i * 3 + c] as number) - q[c]!) < TOLERANCE, `row ${i} class ${c}`);
    }
    const isotonic = { ...p.manifest, calibration: { method: 'isotonic' } as CalibrationParams } as ModelManifest;
    assert.throws(() => logisticToOnnx(isotonic, params), (e: unknown) => e instanceof ModelError && e.code === 'ONNX_INVALID' && /isotonic/.test(e.message));
  });

  test('tickflow model export: checks the file against its own predictions; a seed average is one line, exit 2', async () => {
    const file = join(tempDir(), 'logistic.onnx');
    const averaged = tempDir();
    await train({ datasetPath: dataset, outDir: averaged, seed: 1, family: 'logistic', seeds: 2 });
    // Both exports in one CLI process (test/helpers/cli-batch.ts, D97).
    const [ok, bad] = (await runCliBatch([
      ['model', 'export', '--onnx', file, '--model', dir],
      ['model', 'export', '--onnx', join(averaged, 'x.onnx'), '--model', averaged],
    ])) as [CliResult, CliResult];
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(file));
    assert.equal(ok.json['checkedRows'], 2 * ds.dim + 1);
    assert.ok((ok.json['maxAbsDiff'] as number) < TOLERANCE);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /model [0-9a-f]{16} averages 2 seeds; ONNX export takes a single-seed model/);
  });
});
