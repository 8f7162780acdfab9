import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { trainReport } from '../../../cli/commands/train.ts';
import { accuracyByConfidence, CONFIDENCE_EDGES, wilsonInterval } from '../../../model/confidence-bands.ts';
import { readManifest } from '../../../model/manifest.ts';
import { train } from '../../../model/train.ts';
import { renderTearSheet, runBacktest } from '../../../research/backtest/index.ts';
import { endOf, series, signal } from '../backtest/fixtures.ts';
import { tempDir, writeSyntheticDataset } from './synthetic-dataset.ts';

describe('accuracy by confidence', () => {
  test('Wilson 95% intervals match Newcombe (1998), Stat. Med. 17:857-872, Table I, method 3', () => {
    // Published to 4 decimals: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20 -> 0-0.1611; 1/29 -> 0.0061-0.1718.
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [x, n, lo, hi] of cases) {
      const ci = wilsonInterval(x, n) as [number, number];
      assert.equal(ci[0].toFixed(4), lo.toFixed(4), `${x}/${n} lower`);
      assert.equal(ci[1].toFixed(4), hi.toFixed(4), `${x}/${n} upper`);
    }
    assert.equal(wilsonInterval(0, 0), null);
  });

  test('rows fall in the band of their top-class probability; hits are argmax = label; the baseline is counted on the same rows', () => {
    // UP, FLAT, DOWN probabilities; labels 0 = UP, 1 = FLAT, 2 = DOWN.
    const rows = [
      [0.34, 0.33, 0.33, 0], // band [1/3, 0.4): hit
      [0.45, 0.3, 0.25, 1], // [0.4, 0.5): miss, baseline (FLAT) hits
      [0.2, 0.5, 0.3, 1], // [0.5, 0.6): exactly on an edge goes up; hit
      [0.05, 0.05, 0.9, 2], // [0.9, 1]: hit
      [0, 0, 1, 0], // [0.9, 1] includes 1: miss
    ];
    const r = accuracyByConfidence(Float64Array.from(rows.flatMap((x) => x.slice(0, 3))), rows.map((x) => x[3] as number), 1);
    assert.equal(r.bands.length, CONFIDENCE_EDGES.length - 1);
    const by = (from: number) => r.bands.find((b) => b.from === from) as (typeof r.bands)[number];
    assert.deepEqual([by(1 / 3).count, by(1 / 3).hits], [1, 1]);
    assert.deepEqual([by(0.4).count, by(0.4).hits, by(0.4).baselineHitRate], [1, 0, 1]);
    assert.deepEqual([by(0.5).count, by(0.5).hits], [1, 1]);
    assert.deepEqual([by(0.9).count, by(0.9).hits, by(0.9).hitRate, by(0.9).share], [2, 1, 0.5, 0.4]);
    assert.equal(by(0.7).hitRate, null);
    assert.equal(by(0.7).ci95, null);
    assert.equal(r.bands.reduce((s, b) => s + b.count, 0), 5);
  });

  test('train: the bands cover the test split, their hits give its accuracy; in the output, the manifest and the tear sheet', async () => {
    const dataset = writeSyntheticDataset({ bars: 1200, kind: 'linear', seed: 5 });
    const dir = tempDir();
    const r = await train({ datasetPath: dataset, outDir: dir, seed: 1, family: 'logistic' });
    const c = r.confidenceBands;
    assert.equal(c.n, r.testRows);
    assert.equal(c.bands.reduce((s, b) => s + b.count, 0), r.testRows);
    const hits = c.bands.reduce((s, b) => s + b.hits, 0);
    assert.ok(Math.abs(hits / c.n - r.metrics.accuracy) < 1e-12, `${hits}/${c.n} vs accuracy ${r.metrics.accuracy}`);
    assert.deepEqual(trainReport(r)['confidenceBands'], c);
    assert.deepEqual((await readManifest(dir)).confidenceBands, c);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).confidenceBands, c);
    const html = renderTearSheet(emptyReport(), { model: { modelId: r.modelId, confidenceBands: c }, gates: null, sha256: '0'.repeat(64) });
    assert.match(html, /accuracy by confidence \(test split\)/);
    const filled = c.bands.filter((b) => b.count > 0);
    assert.ok(filled.length >= 2, 'a planted linear signal spreads its confidence over several bands');
    for (const b of filled) assert.ok(html.includes(`<th>${b.from.toFixed(2)}–${b.to.toFixed(2)}</th><td>${(b.share * 100).toFixed(2)} %</td><td>${b.count}</td>`), `band ${b.from}`);
  });
});

/** A small backtest (as test/unit/backtest/tear-sheet.test.ts builds one): the model sections do not depend on it. */
function emptyReport(): Parameters<typeof renderTearSheet>[0] {
  const bars = series('BTC', Array.from({ length: 60 }, (_, i) => [100 + Math.sin(i / 7), 100 + Math.sin((i + 1) / 7)] as [number, number]));
  return runBacktest({ bars, signals: [signal('BTC', endOf(3), 'BUY'), signal('BTC', endOf(20), 'SELL')], config: { randomDraws: 5 } });
}
