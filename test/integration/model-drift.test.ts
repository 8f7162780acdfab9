import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { replayLog } from '../../hosts/replay/run-replay.ts';
import { loadPredictor, type ModelPredictor } from '../../model/predictor.ts';
import { train } from '../../model/train.ts';
import { featureSetByHash, graphConfigFor } from '../../processors/graph.ts';
import { exportDataset } from '../../research/dataset.ts';
import type { ModelHealth } from '../../schemas/index.ts';
import { syntheticConfig } from '../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../sources/synthetic/write-history.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../storage/log/open-log.ts';

/**
 * Drift, end to end: two synthetic markets identical up to day 4 of 8, one of which then reverses
 * its planted signal (strength 2 -> -2). A model trained on the rows before the change is replayed
 * over both through the graph: on the changed market the model-health reports recommend a retrain
 * within a bounded number of bars after the change (none before it), on the stable one never.
 * Low trade rates keep the markets small (the signal lives in 5-minute bars, not in trade counts).
 */
const DAYS = 8;
const START = Date.UTC(2026, 0, 5);
const CHANGE_AT = START + 4 * 86_400_000;
const OPTIONS = { labelWindow: 576, every: 12 };
const BAR = 300_000;

const config = (after: number | null): ReturnType<typeof syntheticConfig> =>
  syntheticConfig({
    days: DAYS,
    seed: 3,
    signalStrength: 2,
    signalChange: after === null ? null : { at: CHANGE_AT, signalStrength: after },
    symbols: [
      { symbol: 'BTC', baseTradesPerSecond: 0.25 },
      { symbol: 'ETH', baseTradesPerSecond: 0.25 },
    ],
  });

describe('model health on a market whose signal changes', () => {
  let dir: string;
  const logs: EmbeddedLog[] = [];
  let predictor: ModelPredictor;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-drift-'));
    for (const [i, after] of [null, -2].entries()) {
      const el = await openEmbeddedLog(join(dir, `log${i}`));
      logs.push(el);
      await writeSyntheticHistory(el.log, el.serde, config(after));
    }
    const stable = logs[0] as EmbeddedLog;
    await exportDataset({ log: stable.log, decode: (t, b) => stable.serde.decodeAs(t, b), out: join(dir, 'all.csv') });
    // the rows before the change (the same in both markets): what the model is trained on
    const lines = readFileSync(join(dir, 'all.csv'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'pre.csv'), `${[lines[0], ...lines.slice(1).filter((l) => Number(l.split(',')[1]) < CHANGE_AT)].join('\n')}\n`);
    copyFileSync(join(dir, 'all.csv.meta.json'), join(dir, 'pre.csv.meta.json'));
    await train({ datasetPath: join(dir, 'pre.csv'), outDir: join(dir, 'model'), seed: 1, family: 'logistic', bootstrapReplicates: 200, cvFolds: 5 });
    predictor = await loadPredictor(join(dir, 'model'));
    assert.ok(predictor.health !== undefined, 'the manifest carries the health reference');
    predictor.health = { ...predictor.health, options: { ...predictor.health.options, ...OPTIONS } };
  });

  after(async () => {
    for (const el of logs) await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const healthOf = async (el: EmbeddedLog): Promise<ModelHealth[]> => {
    const out: ModelHealth[] = [];
    await replayLog({
      log: el.log,
      decode: (t, b) => el.serde.decodeAs(t, b),
      predictor,
      config: graphConfigFor(featureSetByHash(predictor.featureSetHash)),
      sinks: [{ onEvent: (e) => void (e.kind === 'health' && out.push(e.health)) }],
    });
    return out;
  };

  test('stable market: reports every hour per symbol, no retrain recommendation', async () => {
    const reports = await healthOf(logs[0] as EmbeddedLog);
    assert.ok(reports.length > 2 * 24 * (DAYS - 1), `reports ${reports.length}`);
    const bad = reports.find((r) => r.retrain);
    assert.equal(bad, undefined, JSON.stringify(bad));
    const last = reports.at(-1) as ModelHealth;
    assert.ok(last.psiMax !== null && last.hitRate !== null && last.expectedHitRateLo !== null);
  });

  test('reversed signal: a high-priority retrain recommendation on the hit rate within labelWindow + horizon bars of the change, none before', async () => {
    const reports = await healthOf(logs[1] as EmbeddedLog);
    const horizonBars = predictor.manifest.labelConfig.horizonBars;
    for (const symbol of ['BTC', 'ETH']) {
      const mine = reports.filter((r) => r.symbol === symbol);
      assert.ok(mine.filter((r) => r.tsEvent < CHANGE_AT).every((r) => !r.retrain), `${symbol}: a recommendation before the change`);
      const first = mine.find((r) => r.retrain);
      assert.ok(first !== undefined, `${symbol}: no recommendation after the change`);
      const barsAfter = (first.tsEvent - CHANGE_AT) / BAR;
      assert.ok(barsAfter <= OPTIONS.labelWindow + horizonBars, `${symbol}: recommended ${barsAfter} bars after the change`);
      assert.equal(first.priority, 'high');
      assert.match(first.reason ?? '', /live hit rate .* below the expected range/);
    }
  });
});
