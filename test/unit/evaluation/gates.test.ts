import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ModelError } from '../../../model/errors.ts';
import { checkGates } from '../../../model/evaluation/gate-check.ts';
import { DEFAULT_GATES, evaluateGates, readGateConfig, type GateFigures } from '../../../model/evaluation/gates.ts';
import { readManifest } from '../../../model/manifest.ts';
import { train } from '../../../model/train.ts';
import { decide, DEFAULT_SIGNAL_RULE } from '../../../processors/signal/signal-rule.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { tempDir, writeSyntheticDataset } from '../model/synthetic-dataset.ts';

const GOOD: GateFigures = {
  holdoutAucCi95: [0.53, 0.6],
  holdoutLogLoss: 1.05,
  baselineLogLoss: 1.09,
  holdoutEce: 0.02,
  trainRowsPerClass: [900, 400, 880],
  holdoutRowsPerClass: [200, 90, 190],
};

describe('evaluateGates', () => {
  test('figures that clear every default gate pass', () => {
    const v = evaluateGates(GOOD);
    assert.deepEqual({ passed: v.passed, failed: v.failed, skipped: v.skipped }, { passed: true, failed: [], skipped: [] });
    assert.deepEqual(v.figures, { holdoutAucCiLower: 0.53, holdoutLogLoss: 1.05, baselineLogLoss: 1.09, holdoutEce: 0.02, holdoutEceNoise95: null, minTrainRowsPerClass: 400, minHoldoutRowsPerClass: 90 });
    assert.deepEqual(v.thresholds, DEFAULT_GATES);
  });

  test('each gate fails on its own figure, at its boundary', () => {
    const fails = (f: Partial<GateFigures>): string[] => evaluateGates({ ...GOOD, ...f }).failed;
    assert.deepEqual(fails({ holdoutAucCi95: [0.5, 0.56] }), ['holdout-auc-ci-lower']); // strictly above 0.5
    assert.deepEqual(fails({ holdoutAucCi95: null }), ['holdout-auc-ci-lower']);
    assert.deepEqual(fails({ holdoutLogLoss: 1.09 }), ['holdout-log-loss-vs-baseline']); // strictly below
    assert.deepEqual(fails({ holdoutEce: 0.0301 }), ['holdout-ece']);
    assert.deepEqual(fails({ holdoutEce: 0.03 }), []);
    // Above the bound but within what chance gives a calibrated model on this holdout: passes.
    assert.deepEqual(fails({ holdoutEce: 0.045, holdoutEceNoise95: 0.05 }), []);
    assert.deepEqual(fails({ holdoutEce: 0.0501, holdoutEceNoise95: 0.05 }), ['holdout-ece']);
    assert.deepEqual(fails({ holdoutRowsPerClass: [200, 29, 190] }), ['rows-per-class']);
    assert.deepEqual(fails({ holdoutLogLoss: Number.NaN }), ['holdout-log-loss-vs-baseline']);
  });

  test('an unknown ECE skips its gate; thresholds are configurable', () => {
    const v = evaluateGates({ ...GOOD, holdoutEce: null });
    assert.equal(v.passed, true);
    assert.deepEqual(v.skipped, ['holdout-ece']);
    const strict = evaluateGates(GOOD, { ...DEFAULT_GATES, minAucCiLower: 0.55, logLossBelowBaseline: false });
    assert.deepEqual(strict.failed, ['holdout-auc-ci-lower']);
    assert.equal(evaluateGates({ ...GOOD, holdoutLogLoss: 2 }, { ...DEFAULT_GATES, logLossBelowBaseline: false }).passed, true);
  });
});

describe('gates.json', () => {
  test('any subset of keys, the rest defaulted; unknown keys and bad values are rejected with a reason', async () => {
    const dir = tempDir();
    const write = (name: string, body: string): string => {
      writeFileSync(join(dir, name), body);
      return join(dir, name);
    };
    assert.deepEqual(await readGateConfig(write('a.json', '{"maxEce": 0.05}')), { ...DEFAULT_GATES, maxEce: 0.05 });
    const invalid = (re: RegExp) => (e: unknown) => e instanceof ModelError && e.code === 'GATES_INVALID' && re.test(e.message);
    await assert.rejects(readGateConfig(write('b.json', '{"maxECE": 0.05}')), invalid(/maxECE/));
    await assert.rejects(readGateConfig(write('c.json', '{"minRowsPerClass": -1}')), invalid(/minRowsPerClass/));
    await assert.rejects(readGateConfig(write('d.json', '{')), invalid(/cannot read/));
  });
});

describe('checkGates', () => {
  const verdict = evaluateGates({ ...GOOD, holdoutLogLoss: 1.2 });
  const evaluation = { gates: verdict } as never;
  test('a failed model is refused naming its gates, unless allowed; an ungated one is used with a warning', () => {
    assert.throws(
      () => checkGates({ modelId: 'abc', evaluation }, 'm', false),
      (e: unknown) => e instanceof ModelError && e.code === 'MODEL_UNGATED' && /holdout-log-loss-vs-baseline \(holdout log loss 1\.2000 not below the baseline's 1\.0900\)/.test(e.message),
    );
    assert.match(checkGates({ modelId: 'abc', evaluation }, 'm', true) ?? '', /failed its validation gates.*--allow-ungated/);
    assert.match(checkGates({ modelId: 'abc', evaluation: undefined }, 'm', false) ?? '', /no gate verdict/);
    assert.equal(checkGates({ modelId: 'abc', evaluation: { gates: evaluateGates(GOOD) } as never }, 'm', false), null);
  });

  test('hold-only signal rule: every action is HOLD', () => {
    assert.equal(decide(0.9, 0.05, 0.05, DEFAULT_SIGNAL_RULE).action, 'BUY');
    assert.deepEqual(decide(0.9, 0.05, 0.05, { ...DEFAULT_SIGNAL_RULE, holdOnly: true }), { action: 'HOLD', confidence: 0.05 });
  });
});

/**
 * End to end: a model trained where nothing is predictable fails its gates and every command that
 * would use it refuses it (exit 2, naming the gates); a model trained on a planted signal passes.
 */
describe('gates in training and use', () => {
  test('random labels: gates fail, the verdict is in the manifest, start and replay backtest refuse the model', async () => {
    const dir = tempDir();
    // 800 bars and 100 bootstrap replicates (were 1500 and 300): the gates fail here as they did.
    const r = await train({ datasetPath: writeSyntheticDataset({ bars: 800, kind: 'random' }), outDir: dir, seed: 1, epochs: 8, bootstrapReplicates: 100 });
    assert.equal(r.evaluation.gates.passed, false);
    assert.ok(r.evaluation.gates.failed.includes('holdout-log-loss-vs-baseline'), r.evaluation.gates.failed.join());
    assert.deepEqual((await readManifest(dir)).evaluation?.gates, r.evaluation.gates);
    // An empty log that exists (read commands refuse a missing one before looking at the model).
    const empty = join(tempDir(), 'empty');
    await (await openEmbeddedLog(empty)).close();
    // Both commands in one CLI process (test/helpers/cli-batch.ts): exit code and stderr as runTickflow gives them.
    const [backtest, start] = await runCliBatch([
      ['replay', 'backtest', '--log', empty, '--model', dir, '--out', tempDir()],
      ['start', '--log', join(tempDir(), 'log'), '--model', dir, '--history-days', '0', '--no-ws', '--stop-after', '5m'],
    ]);
    assert.ok(backtest !== undefined && start !== undefined);
    assert.equal(backtest.code, 2);
    assert.match(backtest.stderr, /failed its validation gates: .*holdout-log-loss-vs-baseline/);
    assert.equal(start.code, 2, start.stderr);
    assert.match(start.stderr, /failed its validation gates: .*holdout-log-loss-vs-baseline.*--allow-ungated/);
  });

  test('a planted linear signal: gates pass', async () => {
    const r = await train({ datasetPath: writeSyntheticDataset({ bars: 800, kind: 'linear' }), outDir: tempDir(), seed: 1, epochs: 8, bootstrapReplicates: 100 });
    assert.deepEqual(r.evaluation.gates.failed, []);
    assert.ok(r.evaluation.gates.figures.holdoutAucCiLower! > 0.5);
    const auc = r.evaluation.holdout['auc']!;
    assert.ok(auc.ci95![0] <= auc.value! && auc.value! <= auc.ci95![1]);
    assert.equal(auc.value, r.metrics.macroAuc);
  });
});
