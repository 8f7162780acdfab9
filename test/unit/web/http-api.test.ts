import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Bar, FeatureVector, Signal } from '../../../schemas/index.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { dashboardHandler, loadPageAssets, MAX_LIMIT, readModelCard, TopicHistory } from '../../../sinks/web/index.ts';
import { SignalServer } from '../../../sinks/ws/signal-server.ts';
import { TestClient } from '../ws/ws-test-client.ts';
import { webSignal } from '../../helpers/web-records.ts';

/**
 * The HTTP API against a real embedded log holding bars, signals and feature vectors written
 * the way the live host writes them (record timestamp = tsEvent, key = symbol).
 */
const T0 = Date.UTC(2026, 0, 5);
const M1 = 60_000;
const M5 = 300_000;
/** 3,000 one-minute and 600 five-minute BTC bars: more records than one read window (2,048). */
const N1 = 3_000;
const N5 = 600;

const bar = (symbol: string, interval: '1m' | '5m', end: number): Bar => {
  const len = interval === '1m' ? M1 : M5;
  return { tsEvent: end, tsInit: end + 1, symbol, interval, start: end - len, end, open: 100, high: 101, low: 99, close: 100.5, volume: 3, buyVolume: 1, vwap: 100.2, trades: 7 };
};
const signal = (symbol: string, barEnd: number): Signal => webSignal(symbol, barEnd);
/** The option contract the next-to-last BTC signal names. */
const CONTRACT = { underlying: 'BTC', expiry: T0 + 4 * 86_400_000, strike: 60_000, right: 'CALL', premium: 1153.5, premiumSource: 'MID', iv: 0.527, chainAt: T0 + (N5 - 1) * M5 - 60_000 } as const;
const vector = (symbol: string, barEnd: number): FeatureVector => ({
  tsEvent: barEnd,
  tsInit: barEnd + 1,
  symbol,
  interval: '5m',
  barEnd,
  featureSetId: 'core-v1',
  featureSetHash: 'h1',
  features: { ret_1: 0.001, pcr_oi: 1.25, atm_iv: null },
});

const TOKEN = 'a-test-token-of-24-chars';

interface Served {
  server: SignalServer;
  port: number;
}

async function serve(el: EmbeddedLog, o: { token?: string; modelDir?: string | null; maxClients?: number; maxMessagesPerSecond?: number } = {}): Promise<Served> {
  const modelDir = o.modelDir ?? null;
  const handler = dashboardHandler({
    history: new TopicHistory(el.log, (t, b) => el.serde.decodeAs(t, b)),
    assets: loadPageAssets(),
    model: () => (modelDir === null ? Promise.resolve(null) : readModelCard(modelDir)),
    health: () => Promise.resolve({ status: 'ok' }),
    token: o.token ?? '',
  });
  const server = new SignalServer({
    port: 0,
    http: handler,
    token: o.token ?? '',
    ...(o.maxClients !== undefined ? { maxClients: o.maxClients } : {}),
    ...(o.maxMessagesPerSecond !== undefined ? { maxMessagesPerSecond: o.maxMessagesPerSecond } : {}),
  });
  const { port } = await server.start();
  return { server, port };
}

async function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; json: Record<string, unknown>; text: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers, method });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: the page, assets, metrics */
  }
  return { status: res.status, json, text, type: res.headers.get('content-type') };
}

describe('dashboard HTTP API', () => {
  let dir: string;
  let el: EmbeddedLog;
  let s: Served;
  let modelDir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-web-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    const enc = (t: string, v: object): Uint8Array => el.serde.encode(t, v);
    // Bars in time order, as the graph emits them: each 5m bar after the 1m bar that closes it.
    const bars = [];
    for (let i = 1; i <= N1; i++) {
      const end = T0 + i * M1;
      bars.push({ key: 'BTC', timestamp: end, value: enc('bars', bar('BTC', '1m', end)) });
      if (end % M5 === 0 && (end - T0) / M5 <= N5) bars.push({ key: 'BTC', timestamp: end, value: enc('bars', bar('BTC', '5m', end)) });
    }
    for (let i = 1; i <= 20; i++) bars.push({ key: 'ETH', timestamp: T0 + i * M5, value: enc('bars', bar('ETH', '5m', T0 + i * M5)) });
    await el.log.append('bars', bars);
    const sigs = [];
    for (let i = 1; i <= N5; i++) sigs.push({ key: 'BTC', timestamp: T0 + i * M5, value: enc('signals', i === N5 - 1 ? { ...signal('BTC', T0 + i * M5), contract: CONTRACT } : signal('BTC', T0 + i * M5)) });
    // A copy, as at-least-once processing on Kafka can leave: served once.
    sigs.push({ key: 'BTC', timestamp: T0 + N5 * M5, value: enc('signals', signal('BTC', T0 + N5 * M5)) });
    await el.log.append('signals', sigs);
    await el.log.append('features', [1, 2, 3].map((i) => ({ key: 'BTC', timestamp: T0 + i * M5, value: enc('features', vector('BTC', T0 + i * M5)) })));
    modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, 'manifest.json'), JSON.stringify({ formatVersion: 1, modelId: '0123456789abcdef', featureNames: ['ret_1'], standardization: { mean: [0], std: [1] }, metrics: { accuracy: 0.4 } }));
    s = await serve(el, { modelDir });
  });
  after(async () => {
    await s.server.close();
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET / serves the page, and the chart library comes from node_modules (no CDN)', async () => {
    const page = await get(s.port, '/');
    assert.equal(page.status, 200);
    assert.match(page.type ?? '', /text\/html/);
    assert.match(page.text, /<script src="assets\/lightweight-charts.js">/);
    assert.doesNotMatch(page.text, /https?:\/\//, 'no external URL in the page');
    const lib = await get(s.port, '/assets/lightweight-charts.js');
    const require = createRequire(import.meta.url);
    const onDisk = readFileSync(join(dirname(require.resolve('lightweight-charts/package.json')), 'dist', 'lightweight-charts.standalone.production.js'), 'utf8');
    assert.equal(lib.text, onDisk);
    assert.equal((await get(s.port, '/assets/app.js')).status, 200);
    assert.equal((await get(s.port, '/nope')).status, 404);
  });

  test('/api/symbols lists the symbols with their latest bar', async () => {
    const r = await get(s.port, '/api/symbols');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json['symbols'], [
      { symbol: 'BTC', lastBarEnd: T0 + N1 * M1, lastClose: 100.5 },
      { symbol: 'ETH', lastBarEnd: T0 + 20 * M5, lastClose: 100.5 },
    ]);
  });

  test('/api/bars returns one interval of one symbol in [from, to), oldest first', async () => {
    const from = T0 + 10 * M5;
    const to = T0 + 20 * M5;
    const r = await get(s.port, `/api/bars?symbol=BTC&interval=5m&from=${from}&to=${to}`);
    assert.equal(r.status, 200);
    const bars = r.json['bars'] as Bar[];
    assert.deepEqual(bars.map((b) => b.end), Array.from({ length: 10 }, (_, i) => from + i * M5));
    assert.ok(bars.every((b) => b.symbol === 'BTC' && b.interval === '5m'));
    assert.equal(r.json['truncated'], false);
    const m1 = await get(s.port, `/api/bars?symbol=BTC&interval=1m&from=${from}&to=${to}`);
    assert.equal((m1.json['bars'] as Bar[]).length, 50);
    const none = await get(s.port, '/api/bars?symbol=DOGE');
    assert.deepEqual([none.status, none.json['count']], [200, 0]);
  });

  test('/api/bars over a limit keeps the most recent rows and says it was cut (across read windows)', async () => {
    const r = await get(s.port, '/api/bars?symbol=BTC&interval=5m&limit=500');
    const bars = r.json['bars'] as Bar[];
    assert.equal(r.json['truncated'], true);
    assert.equal(bars.length, 500);
    assert.equal(bars[0]?.end, T0 + (N5 - 499) * M5);
    assert.equal(bars.at(-1)?.end, T0 + N5 * M5);
    const all = await get(s.port, '/api/bars?symbol=BTC&interval=5m&limit=600');
    assert.deepEqual([all.json['count'], all.json['truncated']], [N5, false]);
  });

  test('/api/signals serves each id once', async () => {
    const r = await get(s.port, `/api/signals?symbol=BTC&limit=${MAX_LIMIT}`);
    const sigs = r.json['signals'] as Signal[];
    assert.equal(sigs.length, N5);
    assert.equal(new Set(sigs.map((x) => x.id)).size, N5);
    const last = await get(s.port, '/api/signals?symbol=BTC&limit=1');
    assert.deepEqual((last.json['signals'] as Signal[]).map((x) => x.barEnd), [T0 + N5 * M5]);
    assert.deepEqual((last.json['signals'] as Signal[])[0]?.inputs, []);
    const bare = await get(s.port, '/api/signals?symbol=BTC&limit=1&provenance=false');
    assert.equal('inputs' in ((bare.json['signals'] as Signal[])[0] ?? {}), false);
    // fields=chart: what the page's chart uses, absent heads and policy fields as null.
    const chart = await get(s.port, '/api/signals?symbol=BTC&limit=1&fields=chart');
    assert.deepEqual((chart.json['signals'] as Signal[])[0], {
      id: `BTC-${T0 + N5 * M5}`,
      barEnd: T0 + N5 * M5,
      action: 'BUY',
      pUp: 0.5,
      pFlat: 0.3,
      pDown: 0.2,
      confidence: 0.5,
      expectedReturn: null,
      q10: null,
      q50: null,
      q90: null,
      size: null,
      stop: null,
      target: null,
      expiresAt: null,
      contract: null,
    });
  });

  test('/api/signals returns the option contract a signal names, whole and with fields=chart', async () => {
    const at = { from: T0 + (N5 - 1) * M5, to: T0 + N5 * M5 };
    for (const q of ['', '&fields=chart', '&provenance=false']) {
      const r = await get(s.port, `/api/signals?symbol=BTC&from=${at.from}&to=${at.to}${q}`);
      const sigs = r.json['signals'] as Signal[];
      assert.equal(sigs.length, 1, q);
      assert.deepEqual(sigs[0]?.contract, CONTRACT, q);
    }
    // The signals before it name none (null, the Avro default).
    const before = await get(s.port, `/api/signals?symbol=BTC&to=${at.from}&limit=1`);
    assert.equal((before.json['signals'] as Signal[])[0]?.contract, null);
  });

  test('/api/features keeps the names asked for that the feature set has', async () => {
    const r = await get(s.port, '/api/features?symbol=BTC&names=pcr_oi,atm_iv,gex_total');
    const rows = r.json['features'] as { barEnd: number; features: Record<string, number | null> }[];
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0]?.features, { pcr_oi: 1.25, atm_iv: null });
  });

  test('/api/model serves the manifest without the standardization vectors; 404 without a model', async () => {
    const r = await get(s.port, '/api/model');
    assert.equal(r.status, 200);
    assert.equal(r.json['modelId'], '0123456789abcdef');
    assert.equal(r.json['standardization'], undefined);
    const bare = await serve(el, { modelDir: null });
    try {
      assert.equal((await get(bare.port, '/api/model')).status, 404);
    } finally {
      await bare.server.close();
    }
  });

  test('/api/health and /metrics (Prometheus text with the dashboard metrics)', async () => {
    assert.deepEqual((await get(s.port, '/api/health')).json, { status: 'ok' });
    const client = await TestClient.connect(s.port);
    const m = await get(s.port, '/metrics');
    client.ws.close();
    assert.equal(m.status, 200);
    assert.match(m.type ?? '', /text\/plain/);
    for (const name of ['tickflow_inputs_total', 'tickflow_lag_seconds', 'tickflow_signal_latency_seconds_bucket', 'tickflow_late_events_total', 'tickflow_dead_letters_total', 'tickflow_ws_dropped_total']) {
      assert.match(m.text, new RegExp(`^# TYPE ${name.replace(/_bucket$/, '')} `, 'm'), name);
    }
    assert.match(m.text, /^tickflow_ws_clients [1-9]/m);
  });

  const BAD: [string, RegExp][] = [
    ['/api/bars', /symbol is required/],
    ['/api/bars?symbol=', /symbol is required/],
    [`/api/bars?symbol=${'X'.repeat(65)}`, /longer than 64/],
    ['/api/bars?symbol=BTC&from=abc', /from must be epoch milliseconds/],
    ['/api/bars?symbol=BTC&to=1.5', /to must be an integer/],
    ['/api/bars?symbol=BTC&from=-1', /from must be >= 0/],
    ['/api/bars?symbol=BTC&from=20&to=10', /from must be before to/],
    ['/api/bars?symbol=BTC&limit=0', /limit must be >= 1/],
    [`/api/bars?symbol=BTC&limit=${MAX_LIMIT + 1}`, /limit must be <= 10000/],
    ['/api/bars?symbol=BTC&interval=7m', /interval must be one of/],
    ['/api/bars?symbol=BTC&colour=red', /unknown parameter\(s\): colour/],
    ['/api/bars?symbol=BTC&symbol=ETH', /given more than once/],
    ['/api/signals?from=1', /symbol is required/],
    ['/api/signals?symbol=BTC&limit=x', /limit must be a number/],
    ['/api/signals?symbol=BTC&provenance=no', /provenance must be true or false/],
    ['/api/signals?symbol=BTC&fields=some', /fields must be all or chart/],
    ['/api/model?symbol=', /symbol is required/],
    ['/api/features?symbol=BTC&limit=2001', /limit must be <= 2000/],
    ['/api/symbols?x=1', /unknown parameter/],
    ['/api/model?x=1', /unknown parameter/],
    ['/api/health?x=1', /unknown parameter/],
  ];
  for (const [path, reason] of BAD) {
    test(`400 with the reason: ${path.slice(0, 60)}`, async () => {
      const r = await get(s.port, path);
      assert.equal(r.status, 400, r.text);
      assert.match(String(r.json['error']), reason);
    });
  }

  test('only GET and HEAD; overlong URLs refused', async () => {
    assert.equal((await get(s.port, '/api/symbols', {}, 'POST')).status, 405);
    assert.equal((await get(s.port, `/api/bars?symbol=${'x'.repeat(3000)}`)).status, 414);
  });
});

describe('dashboard access control', () => {
  let dir: string;
  let el: EmbeddedLog;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-web-auth-'));
    el = await openEmbeddedLog(join(dir, 'log'));
  });
  after(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('with a token, the page, API and WebSocket need it; /api/health stays open', async () => {
    const s = await serve(el, { token: TOKEN });
    try {
      assert.equal((await get(s.port, '/')).status, 401);
      assert.equal((await get(s.port, '/api/symbols')).status, 401);
      assert.equal((await get(s.port, '/metrics')).status, 401);
      assert.equal((await get(s.port, '/api/symbols?token=wrong-token-of-24-chars!')).status, 401);
      assert.equal((await get(s.port, `/?token=${TOKEN}`)).status, 200);
      assert.equal((await get(s.port, `/api/symbols?token=${TOKEN}`)).status, 200);
      assert.equal((await get(s.port, '/api/symbols', { authorization: `Bearer ${TOKEN}` })).status, 200);
      assert.equal((await get(s.port, '/api/health')).status, 200);
      await assert.rejects(TestClient.connect(s.port, '/ws'), /Unexpected server response: 401/);
      const ok = await TestClient.connect(s.port, `/ws?token=${TOKEN}`);
      ok.ws.close();
    } finally {
      await s.server.close();
    }
  });

  test('the WebSocket refuses foreign Origins and allows loopback and its own host', async () => {
    const s = await serve(el);
    try {
      await assert.rejects(TestClient.connect(s.port, '/ws', { origin: 'https://evil.example' }), /Unexpected server response: 403/);
      const local = await TestClient.connect(s.port, '/ws', { origin: 'http://localhost:3000' });
      const own = await TestClient.connect(s.port, '/ws', { origin: `http://127.0.0.1:${s.port}` });
      local.ws.close();
      own.ws.close();
      assert.equal(s.server.stats().refused, 1);
    } finally {
      await s.server.close();
    }
  });

  test('connections over the limit get 503; a client over the message rate is closed with 1008', async () => {
    const s = await serve(el, { maxClients: 1, maxMessagesPerSecond: 5 });
    try {
      const first = await TestClient.connect(s.port);
      await assert.rejects(TestClient.connect(s.port), /Unexpected server response: 503/);
      for (let i = 0; i < 20; i++) first.send({ op: 'ping' });
      await first.until(() => first.closeCode !== null, 'the close');
      assert.equal(first.closeCode, 1008);
      assert.ok(first.received.filter((m) => m.type === 'pong').length <= 5);
      assert.equal(s.server.stats().rateLimited, 1);
    } finally {
      await s.server.close();
    }
  });
});
