import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { accuracyByConfidence } from '../../../model/confidence-bands.ts';
import { evaluateGates } from '../../../model/evaluation/gates.ts';
import type { HealthBand, ModelHealth } from '../../../schemas/index.ts';
import { dashboardHandler, findTearSheet, loadPageAssets, readModelCard, summarizeManifest, TopicHistory, type GateRow } from '../../../sinks/web/index.ts';
import { SignalServer } from '../../../sinks/ws/signal-server.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';

/**
 * The model card's new fields (gates with figures, calibration, validation hit rate, the latest
 * model-health report), the tear sheet route and the HTTP rate limit, against a real embedded log.
 */
const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'model', 'mlp-v1', 'manifest.json');
const T0 = Date.UTC(2026, 0, 5);
const M5 = 300_000;

/** The committed fixture manifest with an evaluation and a calibration added (figures chosen so the ECE gate fails). */
function manifestWithEvaluation(): Record<string, unknown> {
  const m = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown> & { metrics: Record<string, unknown> };
  // The verdict comes from the real gate function: 0.08 ECE against the default bound 0.03.
  const gates = evaluateGates({ holdoutAucCi95: [0.53, 0.58], holdoutLogLoss: 1.02, baselineLogLoss: 1.05, holdoutEce: 0.08, holdoutEceNoise95: 0.02, trainRowsPerClass: [400, 300, 350], holdoutRowsPerClass: [90, 60, 80] });
  const report = (value: number, ci95: [number, number]) => ({ value, ci95, baseline: { value: 0.4, ci95: null }, delta: { value: value - 0.4, ci95: null } });
  const fold = (accuracy: number) => ({ trainRows: 100, testRows: 50, purged: 1, embargoed: 1, scores: { accuracy } });
  const rel = [{ bin: 0, count: 10, confidence: 0.5, accuracy: 0.5 }];
  return {
    ...m,
    confidenceBands: CONFIDENCE_BANDS,
    metrics: { ...m.metrics, ece: 0.08 },
    calibration: { method: 'temperature', temperature: 1.3, eceBefore: 0.11, eceAfter: 0.04, brierBefore: 0.6, brierAfter: 0.58, logLossBefore: 1.06, logLossAfter: 1.03, selectionLogLoss: { temperature: 1.03, isotonic: 1.04 }, reliabilityBefore: rel, reliabilityAfter: rel },
    evaluation: {
      bootstrap: { blockLength: 6, replicates: 200, seed: 1 },
      holdout: { accuracy: report(0.43, [0.4, 0.46]) },
      cv: { scheme: 'purged-kfold', folds: 2, auc: { mean: null, ci95: null }, accuracy: { mean: 0.41, ci95: null }, logLoss: { mean: null, ci95: null }, perFold: [fold(0.44), fold(0.38)] },
      bayesAuc: null,
      edgeFraction: null,
      gates,
    },
  };
}

/**
 * Accuracy by confidence on five test rows (UP, FLAT, DOWN probabilities; label): two rows in
 * [0.4, 0.5) (one hit), two in [0.5, 0.6) (both hit), one in [0.9, 1] (a miss).
 */
const TEST_ROWS = [
  [0.45, 0.3, 0.25, 0],
  [0.44, 0.3, 0.26, 2],
  [0.2, 0.25, 0.55, 2],
  [0.55, 0.25, 0.2, 0],
  [0.95, 0.03, 0.02, 1],
];
const CONFIDENCE_BANDS = accuracyByConfidence(Float64Array.from(TEST_ROWS.flatMap((r) => r.slice(0, 3))), TEST_ROWS.map((r) => r[3] as number), 1);

/** A live band as the monitor reports it (figures chosen, not computed: the card passes them on). */
const liveBand = (from: number, to: number, matured: number, hits: number): HealthBand => ({
  from, to, matured, hits, hitRate: matured === 0 ? null : hits / matured, ci95Lo: matured === 0 ? null : 0.2, ci95Hi: matured === 0 ? null : 0.6,
  validationCount: 2, validationHitRate: 0.5, validationCi95Lo: 0.0945, validationCi95Hi: 0.9055, smallSample: true, difference: null,
});

const health = (symbol: string, tsEvent: number, modelId: string, hitRate: number): ModelHealth => ({
  symbol,
  tsEvent,
  tsInit: tsEvent + 1,
  modelId,
  vectors: 3000,
  window: 2016,
  psiMax: 0.31,
  psiFeature: 'atm_iv',
  driftedFeatures: ['atm_iv'],
  matured: 500,
  hitRate,
  hitRateUpper: hitRate + 0.05,
  expectedHitRateLo: 0.38,
  expectedHitRateHi: 0.46,
  meanConfidence: 0.5,
  calibrationGap: 0.5 - hitRate,
  retrain: true,
  priority: 'high',
  reason: 'hit rate below validation',
  bands: [liveBand(1 / 3, 0.4, 0, 0), liveBand(0.4, 0.5, 40, 17)],
});

test('summarizeManifest: every gate with its figure and rule, the calibration, the validation hit rate', () => {
  const s = summarizeManifest(manifestWithEvaluation());
  assert.equal(s.gatesPassed, false);
  const byName = new Map<string, GateRow>(s.gates.map((g) => [g.name, g]));
  assert.deepEqual([...byName.keys()], ['holdout-auc-ci-lower', 'holdout-log-loss-vs-baseline', 'holdout-ece', 'rows-per-class']);
  assert.deepEqual(
    s.gates.map((g) => [g.status, g.value]),
    [
      ['passed', 0.53],
      ['passed', 1.02],
      ['failed', 0.08],
      ['passed', 60],
    ],
  );
  assert.match(byName.get('holdout-ece')?.rule ?? '', /<= 0\.03/);
  assert.match(byName.get('holdout-log-loss-vs-baseline')?.rule ?? '', /baseline 1\.05/);
  assert.deepEqual(s.calibration, { method: 'temperature', eceBefore: 0.11, eceAfter: 0.04, holdoutEce: 0.08 });
  // Holdout accuracy interval [0.40, 0.46] widened down to the worst CV fold (0.38).
  assert.deepEqual(s.validationHitRate, [0.38, 0.46]);
  // The manifest's accuracy by confidence, band for band (the rows above by hand: [0.4, 0.5) 1 of 2, [0.5, 0.6) 2 of 2, [0.9, 1] 0 of 1).
  assert.deepEqual(s.validationBands?.map((b) => [b.from, b.to, b.count, b.hitRate]), [
    [1 / 3, 0.4, 0, null],
    [0.4, 0.5, 2, 0.5],
    [0.5, 0.6, 2, 1],
    [0.6, 0.7, 0, null],
    [0.7, 0.8, 0, null],
    [0.8, 0.9, 0, null],
    [0.9, 1, 1, 0],
  ]);
  assert.deepEqual(s.validationBands?.[1]?.ci95, CONFIDENCE_BANDS.bands[1]?.ci95);
  // A manifest from before gates: an empty summary, no error. One that does not validate: the reason.
  const old = summarizeManifest(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  assert.deepEqual([old.gatesPassed, old.gates, old.calibration, old.validationHitRate, old.validationBands, old.error], [null, [], null, null, null, undefined]);
  assert.match(summarizeManifest({ modelId: 'x' }).error ?? '', /does not validate/);
});

describe('/api/model card, /report and the HTTP rate limit', () => {
  let dir: string;
  let el: EmbeddedLog;
  let modelDir: string;
  let modelId: string;
  const servers: SignalServer[] = [];

  async function serve(o: { rateLimit?: { requests: number; perSeconds: number }; tearSheet?: boolean } = {}): Promise<number> {
    const handler = dashboardHandler({
      history: new TopicHistory(el.log, (t, b) => el.serde.decodeAs(t, b)),
      assets: loadPageAssets(),
      model: () => readModelCard(modelDir),
      health: () => Promise.resolve({ status: 'ok' }),
      token: '',
      ...(o.tearSheet === false ? {} : { tearSheet: (id: string) => findTearSheet(modelDir, id) }),
      ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    });
    const server = new SignalServer({ port: 0, http: handler });
    servers.push(server);
    return (await server.start()).port;
  }
  const get = async (port: number, path: string): Promise<{ status: number; text: string; json: Record<string, unknown>; headers: Headers }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* HTML */
    }
    return { status: res.status, text, json, headers: res.headers };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-card-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    const m = manifestWithEvaluation();
    modelId = m['modelId'] as string;
    modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, 'manifest.json'), JSON.stringify(m));
    const enc = (t: string, v: object): Uint8Array => el.serde.encode(t, v);
    const bar = (symbol: string, end: number) => ({ tsEvent: end, tsInit: end + 1, symbol, interval: '5m', start: end - M5, end, open: 1, high: 1, low: 1, close: 1, volume: 1, buyVolume: 0, vwap: 1, trades: 1 });
    await el.log.append('bars', ['BTC', 'ETH'].map((s) => ({ key: s, timestamp: T0 + M5, value: enc('bars', bar(s, T0 + M5)) })));
    // BTC: two reports of this model, then a later one of another model (not this card's).
    await el.log.append('model-health', [
      { key: 'BTC', timestamp: T0 + M5, value: enc('model-health', health('BTC', T0 + M5, modelId, 0.41)) },
      { key: 'BTC', timestamp: T0 + 2 * M5, value: enc('model-health', health('BTC', T0 + 2 * M5, modelId, 0.33)) },
      { key: 'BTC', timestamp: T0 + 3 * M5, value: enc('model-health', health('BTC', T0 + 3 * M5, 'ffffffffffffffff', 0.9)) },
    ]);
  });
  after(async () => {
    for (const s of servers) await s.close();
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/api/model keeps the manifest fields and adds the card: gates, calibration, latest health per symbol, tear sheet', async () => {
    const port = await serve();
    const r = await get(port, '/api/model');
    assert.equal(r.status, 200);
    assert.equal(r.json['modelId'], modelId);
    assert.ok('evaluation' in r.json && 'calibration' in r.json && !('standardization' in r.json));
    const card = r.json['card'] as { gatesPassed: boolean; gates: GateRow[]; validationHitRate: number[]; validationBands: { from: number; count: number }[]; health: Record<string, ModelHealth | null>; tearSheet: { available: boolean; reason: string } };
    assert.equal(card.gatesPassed, false);
    assert.equal(card.gates.length, 4);
    assert.deepEqual(card.validationHitRate, [0.38, 0.46]);
    assert.equal(card.health['BTC']?.hitRate, 0.33, 'the latest report of this model, not the other model');
    assert.equal(card.health['BTC']?.retrain, true);
    // The per-band figures of the latest report, read back from the log, beside the manifest's bands.
    assert.deepEqual(card.health['BTC']?.bands, health('BTC', T0 + 2 * M5, modelId, 0.33).bands);
    assert.deepEqual(card.validationBands.map((b) => b.count), [0, 2, 2, 0, 0, 0, 1]);
    assert.equal(card.health['ETH'], null);
    assert.equal(card.tearSheet.available, false);
    assert.match(card.tearSheet.reason, /no backtest tear sheet of model 7a24647650b492d7.*replay backtest/);
    const one = await get(port, '/api/model?symbol=ETH');
    assert.deepEqual(Object.keys((one.json['card'] as { health: object }).health), ['ETH']);
    assert.match(String((await get(port, '/api/model?symbol=')).json['error']), /symbol is required/);
  });

  test('/report: 404 with the reason, then the tear sheet of this model only, under a no-script policy', async () => {
    const port = await serve();
    const none = await get(port, '/report');
    assert.equal(none.status, 404);
    assert.match(String(none.json['error']), /no backtest tear sheet.*--out .*backtest --out-of-sample/);
    // A report of another model beside it is not served.
    const out = join(modelDir, 'backtest');
    mkdirSync(out);
    writeFileSync(join(out, 'report.json'), JSON.stringify({ modelId: '0000000000000000' }));
    writeFileSync(join(out, 'report.html'), '<html><body>other</body></html>');
    assert.match(String((await get(port, '/report')).json['error']), /backtest of model 0000000000000000, not of 7a24647650b492d7/);
    writeFileSync(join(out, 'report.json'), JSON.stringify({ modelId }));
    writeFileSync(join(out, 'report.html'), '<html><body>tear sheet</body></html>');
    const ok = await get(port, '/report');
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '<html><body>tear sheet</body></html>');
    assert.match(ok.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.deepEqual(((await get(port, '/api/model')).json['card'] as { tearSheet: object }).tearSheet, { available: true, url: '/report', reason: null });
    assert.equal((await get(port, '/report?x=1')).status, 400);
    const bare = await serve({ tearSheet: false });
    assert.match(String((await get(bare, '/report')).json['error']), /no model directory/);
  });

  test('more requests than the limit from one address get 429 with Retry-After and the reason', async () => {
    const port = await serve({ rateLimit: { requests: 5, perSeconds: 60 } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await get(port, '/api/health')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const r = await get(port, '/api/symbols');
    assert.equal(r.status, 429);
    assert.match(String(r.json['error']), /rate limit: more than 5 requests in 60 s/);
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    // Another server (another limiter) is not affected: the count is per handler and address.
    assert.equal((await get(await serve(), '/api/health')).status, 200);
  });
});
