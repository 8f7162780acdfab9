import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { trainReport } from '../../../cli/commands/train.ts';
import { regressionMetrics, type RegressionForecast, type RegressionReport } from '../../../model/heads.ts';
import { headsSchema, manifestSchema } from '../../../model/manifest.ts';
import { train } from '../../../model/train.ts';
import { renderTearSheet, runBacktest } from '../../../research/backtest/index.ts';
import { endOf, series, signal } from '../backtest/fixtures.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

/**
 * Reference: test/fixtures/regression/reference.json, written by make_reference.py beside it (plain
 * Python math, independent of the TypeScript). By hand, y = [0.02, -0.01, 0, 0.03], mean forecast
 * [0.01, 0.01, 0.02, -0.01], band mean -/+ 0.015, train mean 0.005, train quantiles [-0.01, 0.005, 0.02]:
 * model errors [-0.01, 0.02, 0.02, -0.04]: MAE 0.09/4 = 0.0225, RMSE sqrt(25e-4/4) = 0.025;
 * persistence errors -y: MAE 0.06/4 = 0.015, RMSE sqrt(14e-4/4) = 0.018708; drift: MAE 0.015,
 * RMSE sqrt(11e-4/4) = 0.016583. So the head beats neither (beatsPersistence false).
 * Direction over the 3 rows with y != 0: model right on row 0 only (1/3); persistence forecasts 0,
 * a tie worth 1/2 (0.5); drift (> 0) right on rows 0 and 3 (2/3).
 * Band [q10, q90] holds y only on row 0 (y - mean = [0.01, -0.02, -0.02, 0.04] vs +/-0.015): 0.25;
 * the train band [-0.01, 0.02] holds rows 0-2 (inclusive ends): 0.75.
 * Pinball q50: 0.5 * (0.01 + 0.02 + 0.02 + 0.04) / 4 = 0.01125.
 */
interface Reference {
  inputs: { y: number[]; mean: number[]; q10: number[]; q50: number[]; q90: number[]; trainMean: number; base: [number, number, number] };
  expected: RegressionReport;
}
const ref = JSON.parse(readFileSync(new URL('../../fixtures/regression/reference.json', import.meta.url), 'utf8')) as Reference;

function close(got: unknown, want: unknown, path: string): void {
  if (typeof want === 'number' && typeof got === 'number') {
    assert.ok(Math.abs(got - want) <= 1e-12, `${path}: ${got} vs ${want}`);
  } else if (want !== null && typeof want === 'object') {
    assert.ok(got !== null && typeof got === 'object', path);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), path);
    for (const k of Object.keys(want)) close((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    assert.equal(got, want, path);
  }
}

test('regression metrics match the independent Python reference on a hand-checkable example', () => {
  const { y, mean, q10, q50, q90, trainMean, base } = ref.inputs;
  const forecasts: RegressionForecast[] = y.map((_, i) => ({ mean: mean[i] as number, q10: q10[i] as number, q50: q50[i] as number, q90: q90[i] as number }));
  const got = regressionMetrics(forecasts, Float64Array.from(y), trainMean, base);
  close({ ...got, target: undefined }, { ...ref.expected, target: undefined }, 'report');
  assert.equal(got.target, 'fwdReturn');
  assert.equal(got.beatsPersistence, false);
});

test('a perfect forecast beats persistence and drift; all-zero returns leave direction undefined', () => {
  const y = [0.01, -0.02, 0.005];
  const perfect = regressionMetrics(y.map((v) => ({ mean: v, q10: v - 0.001, q50: v, q90: v + 0.001 })), Float64Array.from(y), 0.001, [-0.01, 0, 0.01]);
  assert.equal(perfect.beatsPersistence, true);
  assert.equal(perfect.beatsDrift, true);
  assert.deepEqual([perfect.model.mae, perfect.model.rmse, perfect.model.mapePrice, perfect.model.directionalAccuracy], [0, 0, 0, 1]);
  assert.equal(perfect.interval.coverage, 1);
  const flat = regressionMetrics([{ mean: 0.01, q10: 0, q50: 0.01, q90: 0.02 }], Float64Array.of(0), 0, [0, 0, 0]);
  assert.equal(flat.directionalRows, 0);
  assert.equal(flat.model.directionalAccuracy, null);
  assert.throws(() => regressionMetrics([], Float64Array.of(0.1), 0, [0, 0, 0]), /0 forecasts for 1 returns/);
});

test('train reports the regression metrics in its output and manifest; older manifests without them still load', async () => {
  const data = writeSyntheticDataset({ bars: 600, kind: 'linear', seed: 5 });
  const dir = tempDir();
  const r = await train({ datasetPath: data, outDir: dir, seed: 1, family: 'logistic' });
  const reg = (trainReport(r).heads as typeof r.heads).regression;
  assert.ok(reg !== undefined);
  assert.equal(reg.n, r.heads.n);
  assert.ok(reg.n > 0);
  for (const k of ['model', 'persistence', 'drift'] as const) {
    for (const m of ['mae', 'rmse', 'mapePrice', 'directionalAccuracy'] as const) assert.ok(Number.isFinite(reg[k][m]), `${k}.${m} = ${reg[k][m]}`);
  }
  for (const v of [...Object.values(reg.pinball), ...Object.values(reg.baselinePinball)]) assert.ok(Number.isFinite(v) && v >= 0);
  assert.ok(reg.interval.coverage >= 0 && reg.interval.coverage <= 1);
  assert.ok(reg.interval.baselineCoverage >= 0 && reg.interval.baselineCoverage <= 1);
  assert.equal(reg.persistence.directionalAccuracy, 0.5);
  assert.equal(typeof reg.beatsPersistence, 'boolean');
  // fwdReturn is linear in the features here: the head must beat persistence.
  assert.equal(reg.beatsPersistence, true);
  const raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { heads: { test: { regression?: unknown } } };
  close(raw.heads.test.regression, reg, 'manifest.heads.test.regression');
  delete raw.heads.test.regression;
  assert.ok(manifestSchema.safeParse(raw).success, 'a manifest without heads.test.regression still parses');
  assert.ok(headsSchema.safeParse(raw.heads).success);
});

test('the tear sheet shows the head beside persistence and drift, and says plainly when it does not beat persistence', () => {
  const { y, mean, q10, q50, q90, trainMean, base } = ref.inputs;
  const regression = regressionMetrics(y.map((_, i) => ({ mean: mean[i] as number, q10: q10[i] as number, q50: q50[i] as number, q90: q90[i] as number })), Float64Array.from(y), trainMean, base);
  const bars = series('BTC', Array.from({ length: 60 }, (_, i) => [100 + Math.sin(i / 7), 100 + Math.sin((i + 1) / 7)] as [number, number]));
  const report = runBacktest({ bars, signals: [signal('BTC', endOf(3), 'BUY')], config: { randomDraws: 0 } });
  const html = renderTearSheet(report, { model: { modelId: 'm', regression }, gates: null, sha256: 'x'.repeat(64) });
  assert.match(html, /<table class="regression">/);
  assert.match(html, /The expected-return head does not beat persistence/);
  // MAE of head, persistence, drift: 0.0225, 0.015, 0.015 (reference above).
  assert.match(html, /<th>MAE \(log return\)<\/th><td>2\.250e-2<\/td><td>1\.500e-2<\/td><td>1\.500e-2<\/td>/);
  assert.match(html, /<th>Directional accuracy<\/th><td>33\.33 %<\/td><td>50\.00 %<\/td><td>66\.67 %<\/td>/);
  const without = renderTearSheet(report, { model: { modelId: 'm' }, gates: null, sha256: 'x'.repeat(64) });
  assert.match(without, /Not available: this model's manifest has no price-regression metrics/);
});
