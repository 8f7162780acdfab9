import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadPredictor } from '../../../model/predictor.ts';
import { train } from '../../../model/train.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

// 600 bars (were 1200): about 180 test rows still relabelled below, the same structure of folds.
const linear = writeSyntheticDataset({ bars: 600, kind: 'linear', seed: 12 });
const fast = { epochs: 3, selectionFolds: 3 } as const;

/** The same CSV with every test row's label rotated (UP -> FLAT -> DOWN -> UP): rows with barEnd >= testStart. */
function withTestLabelsRotated(path: string, testStart: number): string {
  const rot: Record<string, string> = { UP: 'FLAT', FLAT: 'DOWN', DOWN: 'UP' };
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  let changed = 0;
  const out = lines.map((l, i) => {
    if (i === 0) return l;
    const cells = l.split(',');
    if (Number(cells[1]) < testStart) return l;
    changed++;
    cells[cells.length - 1] = rot[cells.at(-1) as string] as string;
    return cells.join(',');
  });
  assert.ok(changed > 100, `${changed} test rows relabelled`);
  const file = join(tempDir(), 'dataset.csv');
  writeFileSync(file, `${out.join('\n')}\n`);
  return file;
}

describe("auto with calibrateOn 'out-of-fold': the calibrator fitted on out-of-fold predictions of train + validation (D108)", () => {
  test('fitted out of fold on train + validation; the test rows never reach it (their labels rotated, the same calibrator)', async () => {
    const a = await train({ datasetPath: linear, outDir: tempDir(), seed: 1, family: 'auto', calibrateOn: 'out-of-fold', ...fast });
    const cal = a.manifest.calibration as NonNullable<typeof a.manifest.calibration>;
    assert.equal(cal.fittedOn, 'out-of-fold');
    assert.equal(cal.rows, a.trainRows + a.validationRows);
    assert.equal(a.calibration?.fittedOn, 'out-of-fold');
    // The rule before D108, scored on the same test rows for comparison.
    assert.ok(a.calibrationOnValidation !== null && Number.isFinite(a.calibrationOnValidation.testEce));
    const b = await train({ datasetPath: withTestLabelsRotated(linear, a.split.testStart), outDir: tempDir(), seed: 1, family: 'auto', calibrateOn: 'out-of-fold', ...fast });
    // The test rows did change what is measured on them...
    assert.notEqual(b.metrics.logLoss, a.metrics.logLoss);
    assert.deepEqual(b.split, a.split);
    // ...and nothing of the calibrator.
    const cb = b.manifest.calibration as NonNullable<typeof b.manifest.calibration>;
    assert.equal(b.family, a.family);
    assert.deepEqual(
      { method: cb.method, temperature: cb.temperature, isotonic: cb.isotonic, rows: cb.rows, eceBefore: cb.eceBefore, selection: cb.selectionLogLoss },
      { method: cal.method, temperature: cal.temperature, isotonic: cal.isotonic, rows: cal.rows, eceBefore: cal.eceBefore, selection: cal.selectionLogLoss },
    );
  });

  test('by default (validation): the manifest as before D108 (no fittedOn), the saved model applies it as loaded', async () => {
    const dir = tempDir();
    const r = await train({ datasetPath: linear, outDir: dir, seed: 1, family: 'auto', ...fast });
    const cal = r.manifest.calibration as NonNullable<typeof r.manifest.calibration>;
    assert.equal(cal.fittedOn, undefined);
    assert.equal(cal.rows, undefined);
    assert.equal(r.calibrationOnValidation, null);
    const p = await loadPredictor(dir);
    assert.deepEqual(p.manifest.calibration, cal);
  });
});
