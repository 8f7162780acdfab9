/**
 * Messages and shared counters between the processing thread and the fan-out worker
 * (isolated-server.ts <-> fanout-worker.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Channel } from './client-message.ts';
import type { SignalServerOptions } from './signal-server.ts';

/** Options that cross to the worker: everything but the HTTP handler, which stays with its data. */
export type WorkerServerOptions = Omit<SignalServerOptions, 'http'>;

/**
 * A module the worker imports to serve page/API requests itself: it exports
 * `createHttpHandler(data, ask)` (WorkerHttpModule). `ask` fetches what only the processing
 * thread has (its health body, its /metrics text) by message.
 */
export interface WorkerHttpSpec {
  /** file: URL of the module. */
  module: string;
  /** Structured-cloneable options for its createHttpHandler. */
  data: unknown;
}

/** What the worker can ask the processing thread for. */
export type AskKind = 'health' | 'metrics';

/** The shape of a WorkerHttpSpec module. */
export interface WorkerHttpModule {
  createHttpHandler(data: unknown, ask: (what: AskKind) => Promise<unknown>): Promise<{ handler: (req: IncomingMessage, res: ServerResponse) => void; close: () => Promise<void> }>;
}

export interface FanoutWorkerData {
  options: WorkerServerOptions;
  /** The processing thread's loopback HTTP server the worker forwards page/API requests to; null = 404 (or httpModule). */
  httpTarget: { host: string; port: number } | null;
  /** Page/API served in the worker itself (takes precedence over httpTarget). */
  httpModule: WorkerHttpSpec | null;
  /** Counters the worker writes and the processing thread reads (STAT_FIELDS order). */
  stats: SharedArrayBuffer;
}

/** One published frame, serialized once by the processing thread. */
export type FrameMessage = [channel: Channel, symbol: string, frame: string];

/** HTTP requests the worker counted since its last report: [route, status, count]. */
export type HttpCounts = [route: string, status: string, count: number][];

export type ToWorker = { t: 'frames'; frames: FrameMessage[] } | { t: 'close' } | { t: 'answer'; id: number; ok: boolean; value: unknown };
export type FromWorker =
  | { t: 'started'; port: number }
  | { t: 'failed'; message: string; code: string | null }
  | { t: 'closed' }
  | { t: 'ask'; id: number; what: AskKind }
  | { t: 'http'; counts: HttpCounts; computed?: [route: string, count: number][] };

/** Slots of the shared counter array: SignalServerStats, the refusal reasons, frames consumed. */
export const STAT_FIELDS = [
  'clients',
  'messagesSent',
  'errors',
  'socketErrors',
  'dropped',
  'terminated',
  'rateLimited',
  'refused',
  'handshakeTimeouts',
  'subscribeLimited',
  'refusedOrigin',
  'refusedToken',
  'refusedLimit',
  'framesConsumed',
] as const;
export type StatField = (typeof STAT_FIELDS)[number];
export const STAT_INDEX = Object.fromEntries(STAT_FIELDS.map((f, i) => [f, i])) as Record<StatField, number>;
