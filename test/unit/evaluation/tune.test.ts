import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_PARAMS, fromUnit, proposeTpe, sampleSpace, SPACES, toUnit, type Params } from '../../../model/evaluation/search-space.ts';
import { rungCount, rungEpochs, tune, type TrialRecord } from '../../../model/evaluation/tune.ts';
import { train } from '../../../model/train.ts';
import { Rng } from '../../../processors/math/rng.ts';
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

  // 300 bars x 2 symbols (were 600): the ledger, its order and its resumption do not depend on the size.
  const dataset = writeSyntheticDataset({ bars: 300, kind: 'linear' });
  const opts = { datasetPath: dataset, trials: 4, seed: 3, cvFolds: 3, maxEpochs: 3, eta: 2, families: ['mlp' as const] };

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
    // trial 0 is the MLP's default settings whatever the seed; trial 1 is drawn
    assert.deepEqual(ledger(other)[0]!.params, la[0]!.params);
    assert.notDeepEqual(ledger(other)[1]!.params, la[1]!.params);
  });
});

describe('tune: every family, TPE sampler', () => {
  const dataset = writeSyntheticDataset({ bars: 300, kind: 'linear', seed: 13 }); // were 500

  test('TPE: proposals concentrate where the good trials are (l2 near 1e-4 on a log scale here), unlike the prior', () => {
    const d = SPACES.logistic[0] as Extract<(typeof SPACES.logistic)[number], { lo: number }>;
    const obsRng = new Rng(1);
    // loss grows with the distance (on the unit scale) from u = 0.2, i.e. l2 = 1e-5 * 1e5^0.2 = 1e-4
    const observations = Array.from({ length: 30 }, (_, i) => {
      const u = obsRng.next();
      return { family: 'logistic' as const, params: { l2: fromUnit(d, u) }, loss: Math.abs(u - 0.2), order: i };
    });
    const rng = new Rng(2);
    const dist = (p: Params): number => Math.abs(toUnit(d, p['l2'] as number) - 0.2);
    const tpe = Array.from({ length: 40 }, () => dist(proposeTpe(rng, ['logistic'], observations).params));
    const prior = Array.from({ length: 40 }, () => dist(sampleSpace(rng, SPACES.logistic)));
    const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
    assert.ok(mean(tpe) < 0.5 * mean(prior), `mean distance TPE ${mean(tpe)} vs prior ${mean(prior)}`);
    // same observations and Rng state, same proposal
    assert.deepEqual(proposeTpe(new Rng(9), ['logistic'], observations), proposeTpe(new Rng(9), ['logistic'], observations));
  });

  test('--sampler tpe over logistic and gbdt: defaults first, then startup draws, then TPE; the same seed reproduces the ledger; a rerun resumes', async () => {
    const opts = { datasetPath: dataset, trials: 8, seed: 5, cvFolds: 3, maxEpochs: 3, sampler: 'tpe' as const, families: ['logistic' as const, 'gbdt' as const] };
    const a = tempDir();
    const ra = await tune({ ...opts, outDir: a });
    const la = ledger(a);
    assert.equal(ra.sampler, 'tpe');
    assert.equal(la.length, 8);
    assert.deepEqual(la.map((r) => r.trial), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.ok(la.every((r) => r.rung === 0 && r.epochs === 3), 'one full-budget evaluation per trial');
    assert.deepEqual(la.slice(0, 2).map((r) => [r.family, r.params]), [['logistic', DEFAULT_PARAMS.logistic], ['gbdt', DEFAULT_PARAMS.gbdt]]);
    assert.equal(ra.best.cvLogLoss, Math.min(...la.map((r) => r.cvLogLoss)));
    const b = tempDir();
    await tune({ ...opts, outDir: b });
    assert.deepEqual(ledger(b), la, 'same seed, same ledger (time aside)');
    const again = await tune({ ...opts, outDir: a });
    assert.deepEqual({ resumed: again.ledger.resumed, computed: again.ledger.computed }, { resumed: 8, computed: 0 });
    const c = tempDir();
    writeFileSync(join(c, 'trials.jsonl'), readFileSync(join(a, 'trials.jsonl'), 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
    const rc = await tune({ ...opts, outDir: c });
    assert.deepEqual({ resumed: rc.ledger.resumed, computed: rc.ledger.computed }, { resumed: 5, computed: 3 });
    assert.deepEqual(ledger(c), la, 'TPE proposals after a resume are the ones a fresh run makes');
  });

  test("tune's best CV log loss is at or below train --family auto's cross-validation on the same data and folds", async () => {
    const seed = 4;
    const r = await train({ datasetPath: dataset, outDir: tempDir(), seed, family: 'auto', epochs: 4, cvFolds: 3, bootstrapReplicates: 50 });
    const trainCv = r.evaluation.cv?.logLoss.mean as number;
    const t = await tune({ datasetPath: dataset, outDir: tempDir(), trials: 7, seed, cvFolds: 3, maxEpochs: 4, sampler: 'tpe' });
    const all = ledger(join(t.ledger.path, '..'));
    // the default trial of the family auto chose is train's cross-validation, exactly
    const same = all.find((x) => x.family === r.family && x.trial < 3);
    assert.equal(same?.cvLogLoss, trainCv);
    assert.ok(t.best.cvLogLoss <= trainCv, `tune ${t.best.cvLogLoss} vs train auto (${r.family}) ${trainCv}`);
  });
});
