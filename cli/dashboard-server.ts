/**
 * The dashboard port shared by `start` and `run gateway`: the page, the HTTP API and /metrics
 * over HTTP, signals and bars over the WebSocket at /ws, all on one port.
 */
import { currentValue, metrics, recentLatency } from '../lib/metrics.ts';
import { dashboardHandler, findTearSheet, loadPageAssets, readModelCard, TopicHistory, type TearSheet } from '../sinks/web/index.ts';
import { isLoopbackHost } from '../sinks/ws/access.ts';
import { IsolatedSignalServer } from '../sinks/ws/isolated-server.ts';
import { SignalServer } from '../sinks/ws/signal-server.ts';
import type { LogAccess } from './log-access.ts';
import { info, UsageError } from './output.ts';

export interface DashboardServerOptions {
  access: LogAccess;
  port: number;
  host: string;
  /** '' = none; required when the host is not loopback. */
  token: string;
  /** Where the model card is read from; null when the process runs no model (gateway). */
  modelDir: string | null;
  role: 'start' | 'gateway';
  /** WebSocket clients accepted at once (SignalServer's maxClients). Default 200. */
  maxClients?: number;
  /** Run the fan-out on the processing thread instead of its worker thread (for comparison). Default false. */
  inProcess?: boolean;
}

/** The dashboard port's server: in a worker thread (default) or on the processing thread. */
export type DashboardServer = SignalServer | IsolatedSignalServer;

/** The `--max-clients` / `--ws-in-process` flags of `start` and `run gateway`. */
export function wsFlags(values: { 'max-clients': number; 'ws-in-process': boolean }): { maxClients: number; inProcess: boolean } {
  return { maxClients: values['max-clients'], inProcess: values['ws-in-process'] };
}

/** Checks the --host/--token pair: a server reachable from other machines needs a token. */
export function checkExposure(host: string, token: string | undefined): string {
  if (token !== undefined && !/^[\x21-\x7e]{16,256}$/.test(token)) throw new UsageError('--token must be 16 to 256 printable characters without spaces');
  if (!isLoopbackHost(host) && token === undefined) throw new UsageError(`--host ${host} makes the page, API and WebSocket reachable from other machines: pass --token <secret> (at least 16 characters) as well`);
  return token ?? '';
}

export async function startDashboardServer(o: DashboardServerOptions): Promise<DashboardServer> {
  const startedAt = Date.now();
  let server: DashboardServer | null = null;
  const health = async (): Promise<object> => {
    const latency = await recentLatency();
    const stats = server?.stats();
    const lag = (await metrics.lag.get()).values[0]?.value;
    return {
      status: 'ok',
      role: o.role,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      lagMs: latency.count > 0 && lag !== undefined ? lag * 1000 : null,
      latencyMs: latency,
      inputs: await currentValue(metrics.inputs),
      signals: await currentValue(metrics.signals),
      late: await currentValue(metrics.late),
      deadLetters: await currentValue(metrics.deadLetters),
      wsClients: stats?.clients ?? 0,
      wsDropped: (stats?.dropped ?? 0) + (stats?.rateLimited ?? 0) + (stats?.terminated ?? 0),
    };
  };
  const modelDir = o.modelDir;
  // The process runs the model it loaded at start: its card is read once.
  let card: Promise<object | null> | null = null;
  // A tear sheet can be written while the server runs: looked for again at most every 30 s.
  let sheet: { at: number; found: Promise<TearSheet> } | null = null;
  const tearSheet = (modelId: string): Promise<TearSheet> => {
    if (modelDir === null) return Promise.resolve({ ok: false, reason: 'this process has no model directory' });
    const now = Date.now();
    if (sheet === null || now - sheet.at > 30_000) sheet = { at: now, found: findTearSheet(modelDir, modelId) };
    return sheet.found;
  };
  const handler = dashboardHandler({
    history: new TopicHistory(o.access.log, o.access.decode),
    assets: loadPageAssets(),
    model: () => (card ??= modelDir === null ? Promise.resolve(null) : readModelCard(modelDir)),
    health,
    token: o.token,
    tearSheet,
  });
  const serverOptions = { port: o.port, host: o.host, token: o.token, http: handler, maxClients: o.maxClients ?? 200 };
  server = o.inProcess ? new SignalServer(serverOptions) : new IsolatedSignalServer(serverOptions);
  const { port } = await server.start().catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${o.port} is in use: pass --port <p> (0 picks a free one)${o.role === 'start' ? ' or --no-ws' : ''}`);
    throw e;
  });
  const shown = ['127.0.0.1', '0.0.0.0', '::'].includes(o.host) ? 'localhost' : o.host;
  const query = o.token ? '?token=…' : '';
  info(`dashboard: http://${shown}:${port}/${query}  (API /api/*, metrics /metrics)`);
  info(`WebSocket: ws://${shown}:${port}/ws  (send {"op":"subscribe","channel":"signals","symbols":["BTC"]})`);
  return server;
}
