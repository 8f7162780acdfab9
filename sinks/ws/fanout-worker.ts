/**
 * The fan-out worker thread: runs a SignalServer (WebSocket + the dashboard port) off the
 * processing thread. Frames arrive already serialized. Page/API requests are served here by the
 * handler of `httpModule` (its own read-only view of the log; the health body and /metrics text,
 * which live on the processing thread, come by message, at most every ASK_INTERVAL_MS), or else
 * forwarded to the processing thread's loopback HTTP server (`httpTarget`).
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { metrics } from '../../lib/metrics.ts';
import { STAT_INDEX, type AskKind, type FanoutWorkerData, type FromWorker, type HttpCounts, type StatField, type ToWorker, type WorkerHttpModule } from './fanout-protocol.ts';
import { SignalServer } from './signal-server.ts';
import { ThrottledAsk } from './throttled-ask.ts';

/**
 * Health bodies and /metrics texts asked of the processing thread at most this often (each kind):
 * any number of page/API clients costs the graph at most 1000 / ASK_INTERVAL_MS small answers a
 * second per kind. Every answer is computed after the request arrived (ThrottledAsk).
 */
export const ASK_INTERVAL_MS = 100;

const data = workerData as FanoutWorkerData;
const port = parentPort;
if (port === null) throw new Error('fanout-worker.ts runs as a worker thread');
const shared = new Float64Array(data.stats);
const post = (m: FromWorker): void => port.postMessage(m);

const target = data.httpTarget;
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
/** Hop-by-hop headers are not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forward(req: IncomingMessage, res: ServerResponse): void {
  if (target === null) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  // The handler sees the loopback address of this forwarder: the client's is passed along (replacing any sent).
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  const upstream = request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, agent }, (up) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
    res.writeHead(up.statusCode ?? 502, out);
    up.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('upstream error\n');
  });
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

let nextAsk = 0;
const answers = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const reported = new Map<string, number>();

const reportedComputed = new Map<string, number>();

/** The HTTP requests (and API answers computed) this thread's handler counted since the last report, sent to the processing thread's registry. */
async function reportHttpCounts(): Promise<void> {
  const computed: [string, number][] = [];
  for (const v of (await metrics.httpComputed.get()).values) {
    const route = String(v.labels['route']);
    const d = v.value - (reportedComputed.get(route) ?? 0);
    if (d <= 0) continue;
    reportedComputed.set(route, v.value);
    computed.push([route, d]);
  }
  const counts: HttpCounts = [];
  for (const v of (await metrics.httpRequests.get()).values) {
    const route = String(v.labels['route']);
    const status = String(v.labels['status']);
    const key = `${route}\u0000${status}`;
    const d = v.value - (reported.get(key) ?? 0);
    if (d <= 0) continue;
    reported.set(key, v.value);
    counts.push([route, status, d]);
  }
  if (counts.length > 0 || computed.length > 0) post({ t: 'http', counts, computed });
}

const askNow = async (what: AskKind): Promise<unknown> => {
  // The counts go first (messages arrive in order): /metrics then shows every request answered so far.
  if (what === 'metrics') await reportHttpCounts();
  const id = nextAsk++;
  return new Promise((resolve, reject) => {
    answers.set(id, { resolve, reject });
    post({ t: 'ask', id, what });
  });
};
const asks: Record<AskKind, ThrottledAsk<unknown>> = {
  health: new ThrottledAsk(() => askNow('health'), ASK_INTERVAL_MS),
  metrics: new ThrottledAsk(() => askNow('metrics'), ASK_INTERVAL_MS),
};

let served: { handler: (req: IncomingMessage, res: ServerResponse) => void; close: () => Promise<void> } | null = null;
if (data.httpModule !== null) {
  try {
    const mod = (await import(data.httpModule.module)) as WorkerHttpModule;
    served = await mod.createHttpHandler(data.httpModule.data, (what) => asks[what].get());
  } catch (e) {
    // Reported like a listening failure: start() rejects with the reason.
    post({ t: 'failed', message: `the page/API handler did not start: ${(e as Error).message}`, code: null });
    port.close();
    process.exit(0);
  }
}

const server = new SignalServer({ ...data.options, http: served?.handler ?? forward });
let consumed = 0;

function writeStats(): void {
  const s = server.stats();
  const values: Record<StatField, number> = {
    ...s,
    refusedOrigin: server.refusedBy.origin,
    refusedToken: server.refusedBy.token,
    refusedLimit: server.refusedBy.limit,
    framesConsumed: consumed,
  };
  for (const [k, i] of Object.entries(STAT_INDEX)) shared[i] = values[k as StatField];
}

const statsTimer = setInterval(writeStats, 100);
statsTimer.unref();
const httpTimer = setInterval(() => void reportHttpCounts(), 1_000);
httpTimer.unref();

port.on('message', (m: ToWorker) => {
  if (m.t === 'answer') {
    const waiter = answers.get(m.id);
    answers.delete(m.id);
    if (m.ok) waiter?.resolve(m.value);
    else waiter?.reject(new Error(String(m.value)));
    return;
  }
  if (m.t === 'frames') {
    for (const [channel, symbol, frame] of m.frames) server.publishFrame(channel, symbol, frame);
    consumed += m.frames.length;
    shared[STAT_INDEX.framesConsumed] = consumed;
    return;
  }
  void server.close().then(async () => {
    clearInterval(statsTimer);
    clearInterval(httpTimer);
    writeStats();
    await reportHttpCounts();
    await served?.close().catch(() => undefined);
    agent.destroy();
    post({ t: 'closed' });
    port.close();
    process.exit(0); // ends this worker thread only, even if a half-finished connection still holds a handle
  });
});

server.start().then(
  ({ port: p }) => {
    writeStats();
    post({ t: 'started', port: p });
  },
  async (e: unknown) => {
    await served?.close().catch(() => undefined);
    post({ t: 'failed', message: (e as Error).message, code: (e as NodeJS.ErrnoException).code ?? null });
  },
);
