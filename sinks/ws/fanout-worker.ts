/**
 * The fan-out worker thread: runs a SignalServer (WebSocket + the dashboard port) off the
 * processing thread. Frames arrive already serialized; page/API requests are forwarded to the
 * processing thread's loopback HTTP server, which holds the log and the metrics they read.
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { STAT_INDEX, type FanoutWorkerData, type FromWorker, type StatField, type ToWorker } from './fanout-protocol.ts';
import { SignalServer } from './signal-server.ts';

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

const server = new SignalServer({ ...data.options, http: forward });
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

port.on('message', (m: ToWorker) => {
  if (m.t === 'frames') {
    for (const [channel, symbol, frame] of m.frames) server.publishFrame(channel, symbol, frame);
    consumed += m.frames.length;
    shared[STAT_INDEX.framesConsumed] = consumed;
    return;
  }
  void server.close().then(() => {
    clearInterval(statsTimer);
    writeStats();
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
  (e: unknown) => post({ t: 'failed', message: (e as Error).message, code: (e as NodeJS.ErrnoException).code ?? null }),
);
