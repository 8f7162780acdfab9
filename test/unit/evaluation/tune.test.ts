import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rungCount, rungEpochs, tune, type TrialRecord } from '../../../model/evaluation/tune.ts';
import { tempDir, writeSyntheticDataset } from '../model/synthetic-dataset.ts';

const ledger = (dir: string): Omit<TrialRecord, 'seconds'>[] =>
  readFileSync(join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r: Partial<TrialRecord> = JSON.parse(l) as TrialRecord;
      delete r.seconds;
      return r as Omit<TrialRecord, 'seconds'>;
    });

describe('tune', () => {
  test('successive halving schedule: 4 configurations at eta 2 -> 4, 2, 1 evaluations at 1, 2, 3 epochs', () => {
    assert.equal(rungCount(4, 2), 3);
    assert.deepEqual(rungEpochs(3, 3, 2), [1, 2, 3]);
    assert.equal(rungCount(1, 3), 1);
    assert.deepEqual(rungEpochs(3, 30, 3), [3, 10, 30]);
  });

  const dataset = writeSyntheticDataset({ bars: 600, kind: 'linear' });
  const opts = { datasetPath: dataset, trials: 4, seed: 3, cvFolds: 3, maxEpochs: 3, eta: 2 };

  test('every evaluation is in the ledger; the best is the lowest CV log loss of the last rung; the same seed reproduces the ledger; a rerun resumes', async () => {
    const a = tempDir();
    const ra = await tune({ ...opts, outDir: a });
    const la = ledger(a);
    assert.equal(la.length, 7);
    assert.deepEqual(la.map((r) => r.rung), [0, 0, 0, 0, 1, 1, 2]);
    assert.deepEqual(ra.ledger, { path: join(a, 'trials.jsonl'), evaluations: 7, configurations: 4, rungs: 3, resumed: 0, computed: 7, stoppedBy: 'done' });
    // survivors of each rung are its best half
    const rung0 = la.filter((r) => r.rung === 0).sort((x, y) => x.cvLogLoss - y.cvLogLoss);
    assert.deepEqual(la.filter((r) => r.rung === 1).map((r) => r.trial).sort(), rung0.slice(0, 2).map((r) => r.trial).sort());
    assert.equal(ra.best.rung, 2);
    for (const r of la) {
      assert.equal(r.foldLogLoss.length, 3);
      assert.ok(Math.abs(r.cvLogLoss - r.foldLogLoss.reduce((s, v) => s + v, 0) / 3) < 1e-12);
    }

    const b = tempDir();
    await tune({ ...opts, outDir: b });
    assert.deepEqual(ledger(b), la, 'same seed, same ledger (time aside)');

    const again = await tune({ ...opts, outDir: a });
    assert.equal(again.ledger.computed, 0);
    assert.equal(again.ledger.resumed, 7);
    assert.deepEqual(again.best, ra.best);

    // cut the ledger short, as a killed run leaves it: the rest is recomputed identically
    const c = tempDir();
    writeFileSync(join(c, 'trials.jsonl'), readFileSync(join(a, 'trials.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    const rc = await tune({ ...opts, outDir: c });
    assert.deepEqual({ resumed: rc.ledger.resumed, computed: rc.ledger.computed }, { resumed: 3, computed: 4 });
    assert.deepEqual(ledger(c), la);

    const other = tempDir();
    await tune({ ...opts, seed: 4, outDir: other });
    assert.notDeepEqual(ledger(other)[0]!.params, la[0]!.params);
  });
});
