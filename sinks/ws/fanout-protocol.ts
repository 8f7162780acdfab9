/**
 * Messages and shared counters between the processing thread and the fan-out worker
 * (isolated-server.ts <-> fanout-worker.ts).
 */
import type { Channel } from './client-message.ts';
import type { SignalServerOptions } from './signal-server.ts';

/** Options that cross to the worker: everything but the HTTP handler, which stays with its data. */
export type WorkerServerOptions = Omit<SignalServerOptions, 'http'>;

export interface FanoutWorkerData {
  options: WorkerServerOptions;
  /** The processing thread's loopback HTTP server the worker forwards page/API requests to; null = 404. */
  httpTarget: { host: string; port: number } | null;
  /** Counters the worker writes and the processing thread reads (STAT_FIELDS order). */
  stats: SharedArrayBuffer;
}

/** One published frame, serialized once by the processing thread. */
export type FrameMessage = [channel: Channel, symbol: string, frame: string];

export type ToWorker = { t: 'frames'; frames: FrameMessage[] } | { t: 'close' };
export type FromWorker = { t: 'started'; port: number } | { t: 'failed'; message: string; code: string | null } | { t: 'closed' };

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
