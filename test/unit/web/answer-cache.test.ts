import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { metrics } from '../../../lib/metrics.ts';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { dashboardHandler, loadPageAssets, readModelCard, TopicHistory } from '../../../sinks/web/index.ts';
import { matchesIfNoneMatch } from '../../../sinks/web/response-cache.ts';
import { SignalServer } from '../../../sinks/ws/signal-server.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { webSignal } from '../../helpers/web-records.ts';

/**
 * API answers computed once per log position (docs/decisions.md D130) and the request limits
 * (D131), against a real embedded log: the stored answer is the fresh one byte for byte (a second
 * handler over the same log that keeps no answers computes each request), N identical requests
 * compute once, a grown log computes anew, If-None-Match gets 304, and the per-address and global
 * limits answer 429 with Retry-After and then let requests through again.
 */
const T0 = Date.UTC(2026, 0, 5);
const M5 = 300_000;

const bar = (symbol: string, end: number): Bar => ({ tsEvent: end, tsInit: end + 1, symbol, interval: '5m', start: end - M5, end, open: 100, high: 101, low: 99, close: 100 + (end - T0) / M5, volume: 3, buyVolume: 1, vwap: 100.2, trades: 7 });
const signal = (symbol: string, barEnd: number): Signal => webSignal(symbol, barEnd);

/** TopicHistory that counts the range reads the handler asks of it. */
class CountingHistory extends TopicHistory {
  barReads = 0;
  override async bars(q: Parameters<TopicHistory['bars']>[0]): ReturnType<TopicHistory['bars']> {
    this.barReads++;
    return super.bars(q);
  }
}

interface Got {
  status: number;
  body: Buffer;
  etag: string | null;
  retryAfter: string | null;
  json: Record<string, unknown>;
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Got> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(body.toString()) as Record<string, unknown>;
  } catch {
    /* 304: no body */
  }
  return { status: res.status, body, etag: res.headers.get('etag'), retryAfter: res.headers.get('retry-after'), json };
}

const computed = async (route: string): Promise<number> => (await metrics.httpComputed.get()).values.find((v) => v.labels['route'] === route)?.value ?? 0;

describe('API answers per log position and the request limits', () => {
  let dir: string;
  let el: EmbeddedLog;
  let modelDir: string;
  const servers: SignalServer[] = [];
  let nextBar = 1;

  const appendBars = async (n: number): Promise<void> => {
    const recs = [];
    const sigs = [];
    for (let i = 0; i < n; i++, nextBar++) {
      const end = T0 + nextBar * M5;
      for (const sym of ['BTC', 'ETH']) {
        recs.push({ key: sym, timestamp: end, value: el.serde.encode('bars', bar(sym, end)) });
        sigs.push({ key: sym, timestamp: end, value: el.serde.encode('signals', signal(sym, end)) });
      }
    }
    await el.log.append('bars', recs);
    await el.log.append('signals', sigs);
  };

  async function serve(o: { cacheBytes?: number; rateLimit?: { requests: number; perSeconds: number }; globalRateLimit?: { requests: number; perSeconds: number } } = {}): Promise<{ port: number; history: CountingHistory }> {
    const history = new CountingHistory(el.log, (t, b) => el.serde.decodeAs(t, b));
    const handler = dashboardHandler({
      history,
      assets: loadPageAssets(),
      model: () => readModelCard(modelDir),
      health: () => Promise.resolve({ status: 'ok' }),
      token: '',
      ...(o.cacheBytes !== undefined ? { responseCacheBytes: o.cacheBytes } : {}),
      ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
      // The tests but the limit's own send more than the default 100 requests a second.
      globalRateLimit: o.globalRateLimit ?? { requests: 100_000, perSeconds: 1 },
    });
    const server = new SignalServer({ port: 0, http: handler });
    servers.push(server);
    return { port: (await server.start()).port, history };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-answers-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    await appendBars(3_000); // more records per partition than one read window (2,048)
    modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, 'manifest.json'), JSON.stringify({ formatVersion: 1, modelId: '0123456789abcdef', featureNames: ['ret_1'], standardization: { mean: [0], std: [1] }, metrics: { accuracy: 0.4 } }));
  });
  after(async () => {
    for (const s of servers) await s.close();
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const PATHS = [
    '/api/symbols',
    '/api/bars?symbol=BTC',
    '/api/bars?symbol=ETH&interval=5m&limit=10000',
    `/api/bars?symbol=BTC&from=${T0 + 100 * M5}&to=${T0 + 200 * M5}`,
    '/api/signals?symbol=BTC&fields=chart',
    '/api/signals?symbol=ETH&provenance=false&limit=7',
    '/api/features?symbol=BTC',
    '/api/model',
    '/api/model?symbol=ETH',
  ];

  test('a stored answer is the fresh one byte for byte, with the same ETag; after the log grows both change together', async () => {
    const cached = await serve();
    const fresh = await serve({ cacheBytes: 0 });
    const firstBodies = new Map<string, Buffer>();
    for (const path of PATHS) {
      const a = await get(cached.port, path);
      const again = await get(cached.port, path);
      const f = await get(fresh.port, path);
      assert.equal(a.status, 200, `${path}: ${a.body.toString().slice(0, 200)}`);
      assert.ok(a.body.equals(again.body) && a.body.equals(f.body), `${path}: stored and fresh answers differ`);
      assert.ok(a.etag !== null && a.etag === again.etag && a.etag === f.etag, `${path}: ETags ${a.etag} ${again.etag} ${f.etag}`);
      firstBodies.set(path, a.body);
    }
    await appendBars(5);
    for (const path of PATHS) {
      const a = await get(cached.port, path);
      const f = await get(fresh.port, path);
      assert.ok(a.body.equals(f.body), `${path}: after the log grew, the stored answer is not the fresh one`);
      // A range that ends before the new bars and the model card without health records answer the same bytes.
      const unchanged = path.includes('&to=') || path.startsWith('/api/features') || path.startsWith('/api/model');
      assert.equal(a.body.equals(firstBodies.get(path) as Buffer), unchanged, `${path}: ${unchanged ? 'changed' : 'did not change'} when the log grew`);
    }
    const latest = (await get(cached.port, '/api/bars?symbol=BTC')).json['bars'] as Bar[];
    assert.equal(latest.at(-1)?.end, T0 + (nextBar - 1) * M5);
  });

  test('20 identical concurrent requests compute once; again at the same log position none; once more after the log grows', async () => {
    const s = await serve();
    const path = '/api/bars?symbol=BTC&interval=5m&limit=2000';
    const before = await computed('/api/bars');
    const first = await Promise.all(Array.from({ length: 20 }, () => get(s.port, path)));
    assert.equal(s.history.barReads, 1);
    assert.equal((await computed('/api/bars')) - before, 1);
    for (const r of first) assert.ok(r.status === 200 && r.body.equals(first[0]!.body));
    await Promise.all(Array.from({ length: 20 }, () => get(s.port, path)));
    assert.equal(s.history.barReads, 1);
    await appendBars(1);
    const grown = await Promise.all(Array.from({ length: 20 }, () => get(s.port, path)));
    assert.equal(s.history.barReads, 2);
    assert.equal((await computed('/api/bars')) - before, 2);
    assert.ok(!grown[0]!.body.equals(first[0]!.body));
    // A handler that keeps no answers reads once per request: what every request cost before.
    const fresh = await serve({ cacheBytes: 0 });
    await Promise.all(Array.from({ length: 20 }, () => get(fresh.port, path)));
    assert.equal(fresh.history.barReads, 20);
  });

  test('If-None-Match with the current ETag gets 304 without a body; a stale one, or after the log grew, 200', async () => {
    const s = await serve();
    const path = '/api/signals?symbol=BTC&fields=chart';
    const a = await get(s.port, path);
    assert.equal(a.status, 200);
    const etag = a.etag as string;
    const not = await get(s.port, path, { 'if-none-match': etag });
    assert.equal(not.status, 304);
    assert.equal(not.body.byteLength, 0);
    assert.equal(not.etag, etag);
    assert.equal((await get(s.port, path, { 'if-none-match': `"other", W/${etag}` })).status, 304);
    assert.equal((await get(s.port, path, { 'if-none-match': '"other"' })).status, 200);
    await appendBars(1);
    const grown = await get(s.port, path, { 'if-none-match': etag });
    assert.equal(grown.status, 200);
    assert.notEqual(grown.etag, etag);
    assert.ok(matchesIfNoneMatch('*', etag));
    assert.ok(!matchesIfNoneMatch(undefined, etag));
  });

  test('the global limit answers 429 with Retry-After to every address, leaves /api/health open, and lets requests through again', async () => {
    const s = await serve({ globalRateLimit: { requests: 3, perSeconds: 1 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(s.port, '/api/symbols')).status);
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    const refused = await get(s.port, '/api/bars?symbol=BTC');
    assert.equal(refused.status, 429);
    assert.equal(refused.retryAfter, '1');
    assert.match(String(refused.json['error']), /at most 3 requests in 1 s from all clients together; retry in 1 s/);
    assert.equal((await get(s.port, '/api/health')).status, 200);
    await waitFor('the global limit to let a request through again', async () => (await get(s.port, '/api/symbols')).status === 200, { intervalMs: 200 });
  });

  test('the per-address limit answers 429 with Retry-After and lets the address through again once its window ends', async () => {
    const s = await serve({ rateLimit: { requests: 2, perSeconds: 1 } });
    assert.equal((await get(s.port, '/api/symbols')).status, 200);
    assert.equal((await get(s.port, '/api/symbols')).status, 200);
    const refused = await get(s.port, '/api/symbols');
    assert.equal(refused.status, 429);
    assert.equal(refused.retryAfter, '1');
    assert.match(String(refused.json['error']), /more than 2 requests in 1 s from /);
    await waitFor('the per-address limit to let a request through again', async () => (await get(s.port, '/api/symbols')).status === 200, { intervalMs: 200 });
  });
});
