import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { metrics } from '../../lib/metrics.ts';
import { trustForwardedFor } from './access.ts';
import type { Channel } from './client-message.ts';
import { STAT_FIELDS, STAT_INDEX, type AskKind, type FanoutWorkerData, type FrameMessage, type WorkerHttpSpec, type FromWorker, type StatField, type ToWorker } from './fanout-protocol.ts';
import { SignalServer, type SignalServerOptions, type SignalServerStats } from './signal-server.ts';
import { workerFlags } from '../../lib/worker-flags.ts';

export interface IsolatedServerOptions extends SignalServerOptions {
  /**
   * Frames published but not yet taken by the worker beyond which new frames are dropped and
   * counted (`stats().overflowed`) instead of queued: the processing thread never waits for the
   * fan-out, and a stalled worker cannot grow its memory without bound. Default 20,000.
   */
  maxQueuedFrames?: number;
  /**
   * Serve the page and API in the worker itself (instead of forwarding them to `http` on this
   * thread): the worker imports `module` and calls its `createHttpHandler(data, ask)`; `answer`
   * gives what only this thread has (the health body, the /metrics text), asked at most every
   * 100 ms per kind whatever the number of clients. Takes precedence over `http`.
   */
  httpWorker?: WorkerHttpSpec & { answer: (what: AskKind) => Promise<unknown> };
}

export interface IsolatedServerStats extends SignalServerStats {
  /** Frames dropped because the worker was more than maxQueuedFrames behind. */
  overflowed: number;
}

/** Listening errors from the worker keep their code (EADDRINUSE) for the caller's message. */
class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * A SignalServer in a worker thread (sinks/ws/fanout-worker.ts): the WebSocket handshakes,
 * subscriptions, per-client queues, heartbeats and drops run off the processing thread, whose
 * only cost per published event is one JSON.stringify and a share of one postMessage per
 * turn of the event loop. The page and API run in the worker too with `httpWorker` (their own
 * read-only view of the log; health and /metrics asked of this thread, throttled). With `http`
 * instead, that handler stays on this thread: it listens on an ephemeral loopback port and the
 * worker forwards plain HTTP requests to it. Same surface as SignalServer (start, publish, stats, close).
 */
export class IsolatedSignalServer {
  private readonly shared = new SharedArrayBuffer(STAT_FIELDS.length * Float64Array.BYTES_PER_ELEMENT);
  private readonly view = new Float64Array(this.shared);
  private worker: Worker | null = null;
  private internal: Server | null = null;
  private pending: FrameMessage[] = [];
  private flushScheduled = false;
  private posted = 0;
  private overflowed = 0;
  private metricsTimer: NodeJS.Timeout | null = null;
  private readonly reported = new Map<StatField, number>();
  private closing: Promise<void> | null = null;
  private readonly maxQueuedFrames: number;
  private listening: AddressInfo | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: IsolatedServerOptions) {
    this.maxQueuedFrames = options.maxQueuedFrames ?? 20_000;
  }

  async start(): Promise<{ port: number }> {
    if (this.worker) throw new Error('IsolatedSignalServer already started');
    const { http, httpWorker, ...rest } = this.options;
    const workerOptions: Omit<IsolatedServerOptions, 'http' | 'httpWorker'> = { ...rest };
    delete workerOptions.maxQueuedFrames;
    let httpTarget: FanoutWorkerData['httpTarget'] = null;
    if (http && !httpWorker) {
      const internal = createServer((req, res) => {
        // Only the worker reaches this loopback server; it sets x-forwarded-for to the client's address.
        trustForwardedFor(req);
        http(req, res);
      });
      this.internal = internal;
      await new Promise<void>((resolve, reject) => {
        internal.once('error', reject);
        internal.listen(0, '127.0.0.1', () => resolve());
      });
      const addr = internal.address();
      httpTarget = { host: '127.0.0.1', port: typeof addr === 'object' && addr ? addr.port : 0 };
    }
    const httpModule = httpWorker ? { module: httpWorker.module, data: httpWorker.data } : null;
    const data: FanoutWorkerData = { options: workerOptions, httpTarget, httpModule, stats: this.shared };
    const worker = new Worker(new URL('./fanout-worker-boot.mjs', import.meta.url), { execArgv: workerFlags(), workerData: data });
    this.worker = worker;
    let onStarted: (m: FromWorker) => void = () => undefined;
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ask') return this.answer(worker, m.id, m.what);
      if (m.t === 'http') {
        for (const [route, status, n] of m.counts) metrics.httpRequests.inc({ route, status }, n);
        for (const [route, n] of m.computed ?? []) metrics.httpComputed.inc({ route }, n);
        return;
      }
      onStarted(m);
    });
    const started = await new Promise<FromWorker>((resolve, reject) => {
      onStarted = resolve;
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`fan-out worker exited with code ${code} before listening`)));
    }).catch(async (e: unknown) => {
      await this.internalClosed();
      throw e;
    });
    if (started.t !== 'started') {
      await worker.terminate();
      await this.internalClosed();
      throw new ListenError(started.t === 'failed' ? started.message : 'fan-out worker did not start', started.t === 'failed' && started.code !== null ? started.code : undefined);
    }
    // An uncaught error ends the worker: publish then only counts overflow, and close() does not wait for it.
    worker.on('error', () => undefined);
    this.exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.metricsTimer = setInterval(() => this.reportMetrics(), 1_000);
    this.metricsTimer.unref();
    this.listening = { address: this.options.host ?? '127.0.0.1', family: (this.options.host ?? '').includes(':') ? 'IPv6' : 'IPv4', port: started.port };
    return { port: started.port };
  }

  /** Answers the worker's ask with this thread's health body or /metrics text. */
  private answer(worker: Worker, id: number, what: AskKind): void {
    const answer = this.options.httpWorker?.answer;
    const reply = (ok: boolean, value: unknown): void => worker.postMessage({ t: 'answer', id, ok, value } satisfies ToWorker);
    if (!answer) return reply(false, 'nothing to answer with');
    answer(what).then(
      (v) => reply(true, v),
      (e: unknown) => reply(false, (e as Error).message),
    );
  }

  /** The worker's listening address, shaped like SignalServer.server's (null before start). */
  get server(): { address(): AddressInfo | null } | null {
    const listening = this.listening;
    return listening ? { address: () => listening } : null;
  }

  /** Serializes once and queues the frame for the worker; never blocks on the clients. */
  publish(channel: Channel, symbol: string, payload: object): void {
    if (!this.worker || this.closing) return;
    if (this.posted - this.view[STAT_INDEX.framesConsumed]! >= this.maxQueuedFrames) {
      this.overflowed++;
      metrics.wsDropped.inc({ reason: 'worker_overflow' });
      return;
    }
    this.pending.push([channel, symbol, SignalServer.frameOf(channel, payload)]);
    this.posted++;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || !this.worker) return;
    const msg: ToWorker = { t: 'frames', frames: this.pending };
    this.pending = [];
    this.worker.postMessage(msg);
  }

  stats(): IsolatedServerStats {
    const v = (f: StatField): number => this.view[STAT_INDEX[f]]!;
    return {
      clients: v('clients'),
      messagesSent: v('messagesSent'),
      errors: v('errors'),
      socketErrors: v('socketErrors'),
      dropped: v('dropped'),
      terminated: v('terminated'),
      rateLimited: v('rateLimited'),
      refused: v('refused'),
      handshakeTimeouts: v('handshakeTimeouts'),
      subscribeLimited: v('subscribeLimited'),
      overflowed: this.overflowed,
    };
  }

  /** Closes every client (1001), the worker and the loopback HTTP server. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const worker = this.worker;
    if (worker) {
      this.flush();
      worker.postMessage({ t: 'close' } satisfies ToWorker);
      // The worker closes its clients (1001; those that never answer are destroyed after
      // closeTimeoutMs) and exits; if it has not within that plus a margin, it is terminated, so
      // shutting down never waits on a client.
      const deadline = (this.options.closeTimeoutMs ?? 5_000) + 5_000;
      let timer: NodeJS.Timeout | null = null;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadline)));
      if ((await Promise.race([this.exited, late])) === 'late') await worker.terminate();
      if (timer) clearTimeout(timer);
    }
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    this.reportMetrics();
    await this.internalClosed();
  }

  private internalClosed(): Promise<void> {
    const internal = this.internal;
    this.internal = null;
    if (!internal) return Promise.resolve();
    return new Promise((resolve) => {
      internal.close(() => resolve());
      internal.closeAllConnections();
    });
  }

  /** The worker's counters go into this thread's registry (the one /metrics serves) as deltas. */
  private reportMetrics(): void {
    const delta = (f: StatField): number => {
      const now = this.view[STAT_INDEX[f]]!;
      const d = now - (this.reported.get(f) ?? 0);
      this.reported.set(f, now);
      return d;
    };
    metrics.wsClients.set(this.view[STAT_INDEX.clients]!);
    const inc = (counter: { inc: (labels: { reason: string }, n: number) => void }, reason: string, d: number): void => {
      if (d > 0) counter.inc({ reason }, d);
    };
    const sent = delta('messagesSent');
    if (sent > 0) metrics.wsMessagesSent.inc(sent);
    inc(metrics.wsDropped, 'slow_consumer', delta('dropped'));
    inc(metrics.wsDropped, 'rate_limit', delta('rateLimited'));
    inc(metrics.wsDropped, 'stale', delta('terminated'));
    inc(metrics.wsRefused, 'origin', delta('refusedOrigin'));
    inc(metrics.wsRefused, 'token', delta('refusedToken'));
    inc(metrics.wsRefused, 'limit', delta('refusedLimit'));
    inc(metrics.wsRefused, 'handshake_timeout', delta('handshakeTimeouts'));
  }
}
