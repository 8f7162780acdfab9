import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { trainReport } from '../../../cli/commands/train.ts';
import { fitPolicy } from '../../../processors/decision/fit-policy.ts';
import { readDataset } from '../../../model/dataset.ts';
import { loadPredictor } from '../../../model/predictor.ts';
import { train } from '../../../model/train.ts';
import { tempDir, writeSyntheticDataset } from '../model/synthetic-dataset.ts';

/** Mean fwdReturn by label over the CSV rows with barEnd in [from, to], computed from the file. */
function classMeans(csv: string, from: number, to: number): number[] {
  const sums = new Map<string, [number, number]>();
  for (const line of readFileSync(csv, 'utf8').split('\n').slice(1)) {
    if (line === '') continue;
    const cells = line.split(',');
    const t = Number(cells[1]);
    if (t < from || t > to) continue;
    const s = sums.get(cells.at(-1)!) ?? [0, 0];
    sums.set(cells.at(-1)!, [s[0] + Number(cells.at(-2)), s[1] + 1]);
  }
  return ['UP', 'FLAT', 'DOWN'].map((c) => sums.get(c)![0] / sums.get(c)![1]);
}

describe('train fits the decision policy on the validation split', () => {
  test('a learnable market: class moves from the validation rows, a threshold, the policy in the manifest and the predictor', async () => {
    const csv = writeSyntheticDataset({ bars: 1500, kind: 'linear', seed: 11 });
    const dir = tempDir();
    const r = await train({ datasetPath: csv, outDir: dir, seed: 1, family: 'logistic' });
    const policy = r.manifest.policy!;
    const v = r.manifest.split.validation;
    const want = classMeans(csv, v.firstBarEnd, v.lastBarEnd);
    policy.classMoves.forEach((m, c) => assert.ok(Math.abs(m - want[c]!) < 1e-12, `class ${c}: ${m} vs ${want[c]}`));
    assert.equal(policy.roundTripCost, 0.0014);
    assert.ok(policy.minNetEdge !== null);
    assert.ok(r.policyFit.trades >= 30 && r.policyFit.netMean! > 0);
    assert.deepEqual((await loadPredictor(dir)).policy, policy);
    assert.equal((trainReport(r).policy as { validationTrades: number }).validationTrades, r.policyFit.trades);
  });

  test('labels independent of the features: no threshold pays, the policy holds', async () => {
    const r = await train({ datasetPath: writeSyntheticDataset({ bars: 1500, kind: 'random', seed: 12 }), outDir: tempDir(), seed: 1, family: 'logistic' });
    assert.equal(r.manifest.policy?.minNetEdge, null);
    assert.equal(r.policyFit.trades, 0);
  });

  test('the threshold is fitted on the expected-return head (moveSource head) by default; policyMove classes keeps the class moves', async () => {
    const csv = writeSyntheticDataset({ bars: 1500, kind: 'linear', seed: 11 });
    const dir = tempDir();
    const r = await train({ datasetPath: csv, outDir: dir, seed: 1, family: 'logistic' });
    const policy = r.manifest.policy!;
    assert.equal(policy.moveSource, 'head');
    // Refit from the saved model's own head on the validation rows: the same threshold and trades.
    const predictor = await loadPredictor(dir);
    const ds = await readDataset(csv);
    const v = r.manifest.split.validation;
    const rows = [...ds.barEnd.keys()].filter((i) => ds.barEnd[i]! >= v.firstBarEnd && ds.barEnd[i]! <= v.lastBarEnd);
    const row = (i: number): Float64Array => ds.features.slice(i * ds.dim, (i + 1) * ds.dim);
    const probs = Float64Array.from(rows.flatMap((i) => predictor.predict(row(i))));
    const head = Float64Array.from(rows, (i) => predictor.heads(row(i))!.expectedReturn);
    const refit = fitPolicy({ probs, fwdReturn: Float64Array.from(rows, (i) => ds.fwdReturn[i]!), labels: Uint8Array.from(rows, (i) => ds.labels[i]!), expectedReturn: head }, 6, 300_000);
    assert.equal(refit.summary.rows, r.policyFit.rows);
    assert.equal(refit.policy.minNetEdge, policy.minNetEdge);
    assert.equal(refit.summary.trades, r.policyFit.trades);
    const classes = await train({ datasetPath: csv, outDir: tempDir(), seed: 1, family: 'logistic', policyMove: 'classes' });
    assert.equal(classes.manifest.policy!.moveSource, 'classes');
    assert.notEqual(classes.manifest.policy!.minNetEdge, policy.minNetEdge);
  });
});
