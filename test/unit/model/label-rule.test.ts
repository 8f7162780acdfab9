import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { labelsForBand, parseLabelRule, percentileBand } from '../../../model/label-rule.ts';
import { train } from '../../../model/train.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

/** The dataset's rows as (barEnd, fwdReturn) pairs, from the CSV text itself. */
function rowsOf(path: string): { barEnd: number; fwdReturn: number }[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const cells = line.split(',');
      return { barEnd: Number(cells[1]), fwdReturn: Number(cells.at(-2)) };
    });
}

describe('percentile labels', () => {
  test('the band is the type-7 percentile of |return| over the given rows only', () => {
    // numpy.percentile([1, 2, ..., 10], 60) = 6.4 (numpy's default 'linear' method: 1 + 0.6 * 9 = 6.4th value).
    const r = Float64Array.from([-1, 2, -3, 4, -5, 6, -7, 8, -9, 10, 1000, -1000]);
    const rows = Uint32Array.from({ length: 10 }, (_, i) => i);
    assert.ok(Math.abs(percentileBand(r, rows, 60) - 6.4) < 1e-12);
    // Rows 10 and 11 are not in `rows`: they do not move it.
    assert.deepEqual(Array.from(labelsForBand(r, 6.4)), [1, 1, 1, 1, 1, 1, 2, 0, 2, 0, 0, 2]);
  });

  test('parsing', () => {
    assert.deepEqual(parseLabelRule('band'), { kind: 'band' });
    assert.deepEqual(parseLabelRule('percentile:60'), { kind: 'percentile', p: 60 });
    assert.deepEqual(parseLabelRule('percentile:62.5'), { kind: 'percentile', p: 62.5 });
    for (const bad of ['percentile:0', 'percentile:100', 'percentile:', 'percentile:-5', 'quantile:60', 'triple-barrier']) {
      assert.throws(() => parseLabelRule(bad), /label must be band or percentile:<p>/, bad);
    }
  });

  test('train --label percentile:60: band fitted on the train split, recorded, applied to every split; test returns do not move it', async () => {
    const path = writeSyntheticDataset({ bars: 900, kind: 'linear', seed: 8 });
    const run = (p: string) => train({ datasetPath: p, outDir: tempDir(), seed: 1, family: 'logistic', cvFolds: 0, label: { kind: 'percentile', p: 60 } });
    const a = await run(path);
    const rule = a.manifest.labelRule;
    assert.ok(rule !== undefined);
    assert.equal(a.manifest.labelConfig.flatBand, rule.flatBand);

    // Independently: the 60th percentile (type 7) of |fwdReturn| over the train split's rows.
    const rows = rowsOf(path);
    const { train: tr, test: te } = a.manifest.split;
    const trainAbs = rows.filter((x) => x.barEnd >= tr.firstBarEnd && x.barEnd <= tr.lastBarEnd).map((x) => Math.abs(x.fwdReturn));
    assert.equal(trainAbs.length, tr.rows);
    trainAbs.sort((x, y) => x - y);
    const h = 0.6 * (trainAbs.length - 1);
    const lo = Math.floor(h);
    const expected = (trainAbs[lo] as number) + (h - lo) * ((trainAbs[lo + 1] as number) - (trainAbs[lo] as number));
    assert.ok(Math.abs(rule.flatBand - expected) < 1e-15, `band ${rule.flatBand} vs ${expected}`);
    assert.notEqual(rule.flatBand, rule.datasetFlatBand);

    // Test rows are labelled with the train band: the test class counts follow it.
    const testR = rows.filter((x) => x.barEnd >= te.firstBarEnd).map((x) => x.fwdReturn);
    const counts = [0, 0, 0];
    for (const r of testR) counts[r > rule.flatBand ? 0 : r < -rule.flatBand ? 2 : 1]! += 1;
    assert.deepEqual(a.metrics.classCounts, counts);

    // Scale every test-split return by 10: the band, the labels before the test split and the fit stay; the test labels change.
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const scaled = [
      lines[0] as string,
      ...lines.slice(1).map((line) => {
        const cells = line.split(',');
        if (Number(cells[1]) < te.firstBarEnd) return line;
        cells[cells.length - 2] = (Number(cells.at(-2)) * 10).toFixed(6);
        return cells.join(',');
      }),
    ];
    const other = join(tempDir(), 'scaled.csv');
    writeFileSync(other, `${scaled.join('\n')}\n`);
    const b = await run(other);
    assert.deepEqual(b.manifest.labelRule, rule);
    assert.deepEqual(b.manifest.standardization, a.manifest.standardization);
    assert.equal(b.candidates[0]?.validationLogLoss, a.candidates[0]?.validationLogLoss);
    assert.notDeepEqual(b.metrics.classCounts, a.metrics.classCounts);
  });

  test('the default keeps the dataset labels and writes no labelRule', async () => {
    const path = writeSyntheticDataset({ bars: 600, kind: 'linear', seed: 5 });
    const a = await train({ datasetPath: path, outDir: tempDir(), seed: 1, family: 'logistic', cvFolds: 0 });
    const b = await train({ datasetPath: path, outDir: tempDir(), seed: 1, family: 'logistic', cvFolds: 0, label: { kind: 'band' } });
    assert.equal(a.manifest.labelRule, undefined);
    assert.equal(a.modelId, b.modelId);
  });
});
