/**
 * The dashboard port shared by `start` and `run gateway`: the page, the HTTP API and /metrics
 * over HTTP, signals and bars over the WebSocket at /ws, all on one port.
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { currentValue, metrics, recentLatency, registry } from '../lib/metrics.ts';
import { INPUT_TOPICS } from '../hosts/merged-reader.ts';
import { topicSize } from '../storage/log/topic-size.ts';
import { dashboardHandler, findTearSheet, loadPageAssets, readModelCard, TopicHistory, type TearSheet } from '../sinks/web/index.ts';
import { TearSheetGenerator, type RunResult } from '../sinks/web/tear-sheet-generator.ts';
import { isLoopbackHost } from '../sinks/ws/access.ts';
import { IsolatedSignalServer } from '../sinks/ws/isolated-server.ts';
import { SignalServer } from '../sinks/ws/signal-server.ts';
import type { LogAccess, LogSource } from './log-access.ts';
import { info, UsageError } from './output.ts';

export interface DashboardServerOptions {
  access: LogAccess;
  /** Where `access` was opened from: the fan-out worker opens its own read-only view of it for the page and API. */
  source: LogSource;
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
  /** Page/API request limits (429 beyond): per client address, and all clients together. Defaults: sinks/web/http-api.ts. */
  rateLimit?: { requests: number; perSeconds: number };
  globalRateLimit?: { requests: number; perSeconds: number };
  /**
   * The log as `tickflow replay backtest` opens it (--log, or --broker and --registry): with a
   * model directory, the page's tear sheet link generates the sheet on request. Absent: it cannot.
   */
  backtestSource?: LogSource;
}

/** What the fan-out worker gets to build the page/API handler (cli/page-worker.ts). */
export interface PageWorkerData {
  source: LogSource;
  token: string;
  modelDir: string | null;
  backtestSource?: LogSource;
  rateLimit?: { requests: number; perSeconds: number };
  globalRateLimit?: { requests: number; perSeconds: number };
}

/** A generation that takes longer than this is stopped and reported failed. */
export const TEAR_SHEET_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs `tickflow replay backtest --out-of-sample --allow-ungated` over the log in a child process
 * (lowest CPU priority): the backtest replays the whole log, seconds to minutes of CPU that the
 * live processing thread never spends. The log is opened read-only beside the live writer.
 */
export function backtestInChild(source: LogSource, modelDir: string): (outDir: string) => Promise<RunResult> {
  return (outDir) =>
    new Promise<RunResult>((resolve) => {
      const where = source.broker !== undefined ? ['--broker', source.broker, ...(source.registry !== undefined ? ['--registry', source.registry] : [])] : ['--log', source.log ?? 'var/log'];
      const args = ['--import', 'tsx', join(import.meta.dirname, 'main.ts'), 'replay', 'backtest', ...where, '--model', modelDir, '--out', outDir, '--out-of-sample', '--allow-ungated'];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (child.pid !== undefined) {
        try {
          setPriority(child.pid, 19);
        } catch {
          /* not allowed here: it runs at the default priority */
        }
      }
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-20_000);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), TEAR_SHEET_TIMEOUT_MS);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: `cannot run the backtest: ${e.message}` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve({ ok: true });
        resolve({ ok: false, reason: signal !== null ? `the backtest was stopped (${signal}${signal === 'SIGKILL' ? `, over ${TEAR_SHEET_TIMEOUT_MS / 60_000} minutes` : ''})` : `the backtest failed (exit ${code}): ${lastMessage(stderr)}` });
      });
    });
}

/** The last message a CLI child wrote on stderr (pino JSON lines or plain text). */
function lastMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as string;
    if (/^npm warn/i.test(l)) continue;
    try {
      const j = JSON.parse(l) as { msg?: unknown; level?: unknown };
      if (typeof j.msg === 'string') return j.msg;
    } catch {
      return l.slice(0, 500);
    }
  }
  return 'no message';
}

/** The dashboard port's server: in a worker thread (default) or on the processing thread. */
export type DashboardServer = SignalServer | IsolatedSignalServer;

/** The `--max-clients` / `--ws-in-process` / `--api-rate-limit` / `--api-global-rate-limit` flags of `start` and `run gateway`. */
export function wsFlags(values: { 'max-clients': number; 'ws-in-process': boolean; 'api-rate-limit': number; 'api-global-rate-limit': number }): {
  maxClients: number;
  inProcess: boolean;
  rateLimit: { requests: number; perSeconds: number };
  globalRateLimit: { requests: number; perSeconds: number };
} {
  return {
    maxClients: values['max-clients'],
    inProcess: values['ws-in-process'],
    rateLimit: { requests: values['api-rate-limit'], perSeconds: 60 },
    globalRateLimit: { requests: values['api-global-rate-limit'], perSeconds: 1 },
  };
}

/** Checks the --host/--token pair: a server reachable from other machines needs a token. */
export function checkExposure(host: string, token: string | undefined): string {
  if (token !== undefined && !/^[\x21-\x7e]{16,256}$/.test(token)) throw new UsageError('--token must be 16 to 256 printable characters without spaces');
  if (!isLoopbackHost(host) && token === undefined) throw new UsageError(`--host ${host} makes the page, API and WebSocket reachable from other machines: pass --token <secret> (at least 16 characters) as well`);
  return token ?? '';
}

/** What the page/API handler needs, wherever it runs (this thread, or the fan-out worker with its own log handle). */
export interface PageHandlerOptions {
  log: LogAccess;
  token: string;
  modelDir: string | null;
  backtestSource?: LogSource;
  health: () => Promise<object>;
  /** Default: this thread's registry. */
  metricsText?: () => Promise<string>;
  rateLimit?: { requests: number; perSeconds: number };
  globalRateLimit?: { requests: number; perSeconds: number };
}

/** The page, API and /metrics handler (sinks/web) with the model card, tear sheet and generator of this process. */
export function pageHandler(o: PageHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const modelDir = o.modelDir;
  // The process runs the model it loaded at start: its card is read once.
  let card: Promise<object | null> | null = null;
  // A tear sheet can be written while the server runs: looked for again at most every 30 s.
  let sheet: { at: number; found: Promise<TearSheet> } | null = null;
  const generator =
    modelDir !== null && o.backtestSource !== undefined
      ? new TearSheetGenerator({
          modelDir,
          logEnd: async () => {
            let n = 0;
            for (const t of INPUT_TOPICS) n += await topicSize(o.log.log, t);
            return n;
          },
          run: backtestInChild(o.backtestSource, modelDir),
          onDone: () => {
            sheet = null;
          },
        })
      : null;
  const tearSheet = (modelId: string): Promise<TearSheet> => {
    if (modelDir === null) return Promise.resolve({ ok: false, reason: 'this process has no model directory' });
    const now = Date.now();
    if (sheet === null || now - sheet.at > 30_000) sheet = { at: now, found: findTearSheet(modelDir, modelId) };
    return sheet.found;
  };
  return dashboardHandler({
    history: new TopicHistory(o.log.log, o.log.decode),
    assets: loadPageAssets(),
    model: () => (card ??= modelDir === null ? Promise.resolve(null) : readModelCard(modelDir)),
    health: o.health,
    token: o.token,
    tearSheet,
    generator,
    ...(o.metricsText !== undefined ? { metricsText: o.metricsText } : {}),
    ...(o.rateLimit !== undefined ? { rateLimit: o.rateLimit } : {}),
    ...(o.globalRateLimit !== undefined ? { globalRateLimit: o.globalRateLimit } : {}),
  });
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
  const base = { port: o.port, host: o.host, token: o.token, maxClients: o.maxClients ?? 200 };
  const limits = { ...(o.rateLimit !== undefined ? { rateLimit: o.rateLimit } : {}), ...(o.globalRateLimit !== undefined ? { globalRateLimit: o.globalRateLimit } : {}) };
  if (o.inProcess) {
    server = new SignalServer({ ...base, http: pageHandler({ log: o.access, token: o.token, modelDir: o.modelDir, ...(o.backtestSource !== undefined ? { backtestSource: o.backtestSource } : {}), ...limits, health }) });
  } else {
    // The page and API run in the fan-out worker over their own read-only view of the log
    // (cli/page-worker.ts); this thread only answers for the health body and the /metrics text.
    const data: PageWorkerData = { source: o.source, token: o.token, modelDir: o.modelDir, ...(o.backtestSource !== undefined ? { backtestSource: o.backtestSource } : {}), ...limits };
    server = new IsolatedSignalServer({
      ...base,
      httpWorker: {
        module: new URL('./page-worker.ts', import.meta.url).href,
        data,
        answer: (what) => (what === 'health' ? health() : registry.metrics()),
      },
    });
  }
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
