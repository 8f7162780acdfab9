import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resolveModelDir } from '../../../cli/model-gates.ts';
import { ModelError } from '../../../model/errors.ts';
import { diffModels, ModelRegistry } from '../../../model/registry/model-registry.ts';
import { train } from '../../../model/train.ts';
import { tempDir, writeSyntheticDataset } from '../model/synthetic-dataset.ts';
import { nodeEntry } from '../../helpers/cli.ts';

describe('model registry', async () => {
  const root = tempDir();
  const quick = { seed: 1, epochs: 4, bootstrapReplicates: 200 };
  const noise = await train({ datasetPath: writeSyntheticDataset({ bars: 1000, kind: 'random' }), outDir: join(root, 'noise'), ...quick });
  const signalData = writeSyntheticDataset({ bars: 1000, kind: 'linear' });
  const signal = await train({ datasetPath: signalData, outDir: join(root, 'signal'), ...quick });
  // A model trained before gates existed: no evaluation in its manifest.
  const oldDir = join(root, 'old');
  await train({ datasetPath: writeSyntheticDataset({ bars: 1000, kind: 'linear', seed: 9 }), outDir: oldDir, ...quick });
  const manifest = JSON.parse(readFileSync(join(oldDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  delete manifest['evaluation'];
  writeFileSync(join(oldDir, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(join(root, 'not-a-model.txt'), 'x');
  const registry = new ModelRegistry(root);

  test('lists every model with id, family, dataset, log range, feature set, gates and metrics with intervals', async () => {
    const { models, invalid } = await registry.list();
    assert.deepEqual(invalid, []);
    assert.deepEqual(models.map((m) => m.name).sort(), ['noise', 'old', 'signal']);
    const s = models.find((m) => m.name === 'signal')!;
    assert.equal(s.id, signal.modelId);
    assert.equal(s.family, 'mlp');
    assert.equal(s.datasetSha256, signal.manifest.datasetSha256);
    assert.equal(s.logRange.from, new Date(signal.manifest.split.train.firstBarEnd).toISOString());
    assert.deepEqual(s.gates, { status: 'passed', failed: [] });
    assert.equal(s.metrics['auc']!.value, signal.metrics.macroAuc);
    assert.ok(s.metrics['auc']!.ci95 !== null);
    assert.equal(s.metrics['auc']!.baseline, 0.5);
    assert.equal(models.find((m) => m.name === 'noise')!.gates.status, 'failed');
    const old = models.find((m) => m.name === 'old')!;
    assert.equal(old.gates.status, 'ungated');
    assert.equal(old.metrics['auc']!.ci95, null);
    assert.ok(models.every((m) => !m.champion));
  });

  test('promote: a failed model is refused, a passing one becomes the champion that start and run processors use', async () => {
    await assert.rejects(registry.promote('noise'), (e: unknown) => e instanceof ModelError && e.code === 'MODEL_UNGATED' && /holdout/.test(e.message));
    assert.equal(await registry.championDir(), null);
    assert.equal(await resolveModelDir(undefined, 'var/model', root), 'var/model');
    const m = await registry.promote(signal.modelId.slice(0, 6));
    assert.equal(m.id, signal.modelId);
    assert.equal(await registry.championDir(), join(root, 'signal'));
    assert.equal(await resolveModelDir(undefined, 'var/model', root), join(root, 'signal'));
    assert.equal(await resolveModelDir('elsewhere', 'var/model', root), 'elsewhere');
    assert.equal((await registry.list()).models.filter((x) => x.champion).map((x) => x.name).join(), 'signal');
    await registry.promote('noise', true);
    assert.equal(await registry.championName(), 'noise');
  });

  test('find by id, prefix or name; unknown and ambiguous references are errors with a reason', async () => {
    assert.equal((await registry.find(noise.modelId)).name, 'noise');
    assert.equal((await registry.find('old')).name, 'old');
    await assert.rejects(registry.find('zzzz'), (e: unknown) => e instanceof ModelError && /no model "zzzz"/.test(e.message));
    await assert.rejects(registry.find(''), (e: unknown) => e instanceof ModelError && /matches 3 models/.test(e.message));
  });

  test('diff puts two models side by side', async () => {
    const d = diffModels(await registry.find('noise'), await registry.find('signal')) as Record<string, { a: unknown; b: unknown; same?: boolean }>;
    assert.equal(d['featureSetHash']!.same, true);
    assert.equal(d['datasetSha256']!.same, false);
    const auc = (d['metrics'] as unknown as Record<string, { a: { value: number }; b: { value: number } }>)['auc']!;
    assert.equal(auc.a.value, noise.metrics.macroAuc);
    assert.equal(auc.b.value, signal.metrics.macroAuc);
  });

  test('models drift: quiet on the training data, names the shifted feature after a shift', async () => {
    const MAIN = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));
    const drift = async (dataset: string): Promise<{ recommendation: { row: number; features: string[] } | null; maxPsi: Record<string, number> }> => {
      const { stdout } = await promisify(execFile)(process.execPath, [...nodeEntry(MAIN), 'models', 'drift', 'signal', '--dir', root, '--dataset', dataset, '--window', '300'], { timeout: 60_000 });
      return JSON.parse(stdout) as never;
    };
    const stable = await drift(signalData);
    assert.equal(stable.recommendation, null, JSON.stringify(stable.maxPsi));
    // f0 (the 3rd column) moves up by one standard deviation from row 1000 on
    const lines = readFileSync(signalData, 'utf8').trimEnd().split('\n');
    const shifted = lines.map((l, i) => {
      if (i < 1001) return l;
      const cells = l.split(',');
      cells[2] = String(Number(cells[2]) + 1);
      return cells.join(',');
    });
    const path = join(tempDir(), 'shifted.csv');
    writeFileSync(path, `${shifted.join('\n')}\n`);
    const r = await drift(path);
    assert.deepEqual(r.recommendation?.features, ['f0']);
    assert.ok(r.recommendation.row >= 1000 && r.recommendation.row < 1000 + 300, `recommended at row ${r.recommendation.row}`);
  });
});
