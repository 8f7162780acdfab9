import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pageHandler, type PageWorkerData } from '../../../cli/dashboard-server.ts';
import { registry } from '../../../lib/metrics.ts';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { IsolatedSignalServer } from '../../../sinks/ws/isolated-server.ts';
import { SignalServer } from '../../../sinks/ws/signal-server.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { webSignal } from '../../helpers/web-records.ts';

/**
 * The page and API served from the fan-out worker (cli/page-worker.ts over its own read-only view
 * of the embedded log) answer exactly as the same handler on the processing thread: status,
 * headers and bytes of every route, with the token, bad parameters, limits, the model card.
 * The health body and /metrics come from the processing thread by message.
 */
const T0 = Date.UTC(2026, 0, 5);
const M1 = 60_000;
const M5 = 300_000;
const TOKEN = 'a-test-token-of-24-chars';
const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'model', 'mlp-v1', 'manifest.json');

const bar = (symbol: string, interval: '1m' | '5m', end: number): Bar => {
  const len = interval === '1m' ? M1 : M5;
  return { tsEvent: end, tsInit: end + 1, symbol, interval, start: end - len, end, open: 100, high: 101, low: 99, close: 100 + (end / M1) % 7, volume: 3, buyVolume: 1, vwap: 100.2, trades: 7 };
};
const signal = (symbol: string, barEnd: number, modelId: string): Signal =>
  webSignal(symbol, barEnd, { modelId, inputs: [{ topic: 'trades', partition: 1, fromOffset: barEnd % 1000, toOffset: (barEnd % 1000) + 5 }] });

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function fetchReply(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers });
  const body = await res.text();
  const h: Record<string, string> = {};
  // date changes between two requests; connection/keep-alive depend on the client's socket.
  for (const [k, v] of res.headers) if (!['date', 'connection', 'keep-alive'].includes(k)) h[k] = v;
  return { status: res.status, headers: h, body };
}

describe('page and API in the fan-out worker', () => {
  let dir: string;
  let logDir: string;
  let modelDir: string;
  let el: EmbeddedLog;
  let inProcess: SignalServer;
  let worker: IsolatedSignalServer;
  let inPort: number;
  let workerPort: number;
  let healthAnswers = 0;
  let metricsAnswers = 0;
  let modelId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-page-worker-'));
    logDir = join(dir, 'log');
    modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    copyFileSync(FIXTURE, join(modelDir, 'manifest.json'));
    modelId = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { modelId: string }).modelId;
    el = await openEmbeddedLog(logDir);
    const enc = (t: string, v: object): Uint8Array => el.serde.encode(t, v);
    const bars = [];
    for (let i = 1; i <= 3_000; i++) {
      const end = T0 + i * M1;
      bars.push({ key: 'BTC', timestamp: end, value: enc('bars', bar('BTC', '1m', end)) });
      if (end % M5 === 0) bars.push({ key: 'BTC', timestamp: end, value: enc('bars', bar('BTC', '5m', end)) });
    }
    for (let i = 1; i <= 20; i++) bars.push({ key: 'ETH', timestamp: T0 + i * M5, value: enc('bars', bar('ETH', '5m', T0 + i * M5)) });
    await el.log.append('bars', bars);
    await el.log.append('signals', Array.from({ length: 600 }, (_, k) => ({ key: 'BTC', timestamp: T0 + (k + 1) * M5, value: enc('signals', signal('BTC', T0 + (k + 1) * M5, modelId)) })));
    await el.log.append('features', [1, 2, 3].map((i) => ({ key: 'BTC', timestamp: T0 + i * M5, value: enc('features', { tsEvent: T0 + i * M5, tsInit: T0 + i * M5 + 1, symbol: 'BTC', interval: '5m', barEnd: T0 + i * M5, featureSetId: 'core-v1', featureSetHash: 'h1', features: { ret_1: 0.001 * i, atm_iv: null } }) })));

    const health = (): Promise<object> => Promise.resolve({ status: 'ok', role: 'start' });
    const access = { log: el.log, decode: (t: string, b: Uint8Array) => el.serde.decodeAs(t, b), encode: (t: string, v: object) => el.serde.encode(t, v), serde: el.serde, close: () => Promise.resolve() };
    inProcess = new SignalServer({ port: 0, token: TOKEN, http: pageHandler({ log: access, token: TOKEN, modelDir, health }) });
    inPort = (await inProcess.start()).port;
    const data: PageWorkerData = { source: { log: logDir }, token: TOKEN, modelDir };
    worker = new IsolatedSignalServer({
      port: 0,
      token: TOKEN,
      httpWorker: {
        module: new URL('../../../cli/page-worker.ts', import.meta.url).href,
        data,
        answer: (what) => {
          if (what === 'health') {
            healthAnswers++;
            return health();
          }
          metricsAnswers++;
          return registry.metrics();
        },
      },
    });
    workerPort = (await worker.start()).port;
  });
  after(async () => {
    await worker.close();
    await inProcess.close();
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every route answers byte for byte as on the processing thread', async () => {
    const t = `token=${TOKEN}`;
    const cases: [string, string?, Record<string, string>?][] = [
      [`/?${t}`],
      [`/?${t}`, 'HEAD'],
      [`/assets/app.js?${t}`],
      ['/api/symbols'], // no token: 401
      [`/api/symbols?${t}`],
      [`/api/symbols`, 'GET', { authorization: `Bearer ${TOKEN}` }],
      [`/api/bars?symbol=BTC&${t}`],
      [`/api/bars?symbol=BTC&interval=1m&limit=2500&${t}`],
      [`/api/bars?symbol=BTC&interval=1m&from=${T0 + 100 * M1}&to=${T0 + 200 * M1}&${t}`],
      [`/api/bars?symbol=BTC&limit=0&${t}`],
      [`/api/bars?symbol=BTC&symbol=ETH&${t}`],
      [`/api/bars?symbol=BTC&bogus=1&${t}`],
      [`/api/signals?symbol=BTC&${t}`],
      [`/api/signals?symbol=BTC&fields=chart&limit=7&${t}`],
      [`/api/signals?symbol=BTC&provenance=false&${t}`],
      [`/api/features?symbol=BTC&names=ret_1,nope&${t}`],
      [`/api/model?${t}`],
      [`/api/model?symbol=ETH&${t}`],
      [`/api/tear-sheet?${t}`],
      [`/report?${t}`],
      [`/nope?${t}`],
      [`/api/symbols?${t}`, 'POST'],
      [`/api/bars?symbol=${'x'.repeat(3000)}&${t}`],
    ];
    const statuses: number[] = [];
    for (const [path, method, headers] of cases) {
      const a = await fetchReply(inPort, path, method, headers);
      const b = await fetchReply(workerPort, path, method, headers);
      assert.deepEqual(b, a, `${method ?? 'GET'} ${path.slice(0, 80)}`);
      statuses.push(a.status);
    }
    // The cases reach what they are meant to (not all one error).
    assert.deepEqual(statuses, [200, 200, 200, 401, 200, 200, 200, 200, 200, 400, 400, 400, 200, 200, 200, 200, 200, 200, 503, 404, 404, 405, 414]);
    const card = JSON.parse((await fetchReply(workerPort, `/api/model?${t}`)).body) as { modelId: string; card: { health: Record<string, unknown> } };
    assert.equal(card.modelId, modelId);
    assert.deepEqual(Object.keys(card.card.health), ['BTC', 'ETH']);
    const bars = JSON.parse((await fetchReply(workerPort, `/api/bars?symbol=BTC&interval=1m&limit=2500&${t}`)).body) as { count: number; truncated: boolean };
    assert.deepEqual([bars.count, bars.truncated], [2500, true]);
  });

  test('the worker sees appends made on the processing thread after it opened the log', async () => {
    const end = T0 + 3_001 * M1;
    await el.log.append('bars', [{ key: 'ETH', timestamp: end, value: el.serde.encode('bars', bar('ETH', '5m', end)) }]);
    const r = JSON.parse((await fetchReply(workerPort, `/api/symbols?token=${TOKEN}`)).body) as { symbols: { symbol: string; lastBarEnd: number }[] };
    assert.equal(r.symbols.find((s) => s.symbol === 'ETH')?.lastBarEnd, end);
  });

  test('health and /metrics come from the processing thread, asked at most every 100 ms whatever the number of requests', async () => {
    const before = healthAnswers;
    const t0 = performance.now();
    const bodies = await Promise.all(Array.from({ length: 200 }, () => fetchReply(workerPort, '/api/health')));
    const ms = performance.now() - t0;
    assert.ok(bodies.every((r) => r.status === 200 && r.body === '{"status":"ok","role":"start"}'));
    const asked = healthAnswers - before;
    assert.ok(asked >= 1 && asked <= Math.ceil(ms / 100) + 1, `${asked} health answers for 200 requests in ${ms.toFixed(0)} ms`);
    // The requests the worker answered reach this thread's registry, which /metrics serves.
    const line = (text: string): number => Number(/^tickflow_http_requests_total\{route="\/api\/health",status="200"\} (\S+)$/m.exec(text)?.[1] ?? 0);
    await waitFor('the worker to report its 200 health requests', async () => line(await registry.metrics()) >= 200);
    const scraped = await fetchReply(workerPort, `/metrics?token=${TOKEN}`);
    assert.equal(scraped.status, 200);
    assert.equal(scraped.headers['content-type'], registry.contentType);
    assert.ok(line(scraped.body) >= 200, 'the scrape counts the health requests');
    assert.ok(metricsAnswers >= 1);
  });
});
