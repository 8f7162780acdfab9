import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { metrics } from '../../lib/metrics.ts';
import { checkOrigin, checkToken } from './access.ts';
import { parseClientMessage, MAX_MESSAGE_BYTES, type Channel } from './client-message.ts';
import { Subscriptions } from './subscriptions.ts';

export interface SignalServerOptions {
  /** 0 picks a free port (start() returns it). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default '/ws'; other paths are refused at the handshake. */
  path?: string;
  /** A client whose unsent bytes exceed this is disconnected with 1013. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** ws-level ping period (a ping goes out when the previous one was answered). Default 5 s. */
  heartbeatMs?: number;
  /**
   * A client that does not read for this long is terminated (`stats().terminated`): its pong has
   * not come back this long after the ping left this process for the kernel (the ping is queued
   * behind every frame sent before it, so the client has not read what was sent before then), or
   * the ping is still queued here behind its backlog and none of that backlog has left for this
   * long (the peer's socket windows are shut). Judged after pending socket events are read, so a
   * stalled server does not count its own stall against its clients. Paused and dead peers alike.
   * Default 10 s.
   */
  maxBacklogMs?: number;
  /** A connection that has not completed its HTTP request or WebSocket handshake within this is destroyed. Default 5 s. */
  handshakeTimeoutMs?: number;
  /** subscribe/unsubscribe ops per second per client (token bucket of `subscribeBurst`); beyond it the op is refused with an error. Default 5. */
  maxSubscribesPerSecond?: number;
  /** Default 20. */
  subscribeBurst?: number;
  /** After sending a close frame, destroy the socket if the peer has not closed within this. Default 5 s. */
  closeTimeoutMs?: number;
  /** Plain HTTP requests on the same port (the page, the API, /metrics). Default: 404 for all. */
  http?: (req: IncomingMessage, res: ServerResponse) => void;
  /** When set, the handshake needs `?token=` or `Authorization: Bearer` equal to it (401 otherwise). */
  token?: string;
  /** Extra allowed Origins besides loopback ones and the server's own host (browsers send Origin). */
  origins?: string[];
  /** Handshakes beyond this many open clients are refused with 503. Default 200. */
  maxClients?: number;
  /** A client sending more messages than this in one second is closed with 1008. Default 50. */
  maxMessagesPerSecond?: number;
}

export interface SignalServerStats {
  clients: number;
  /** Frames handed to sockets: pushes and replies. */
  messagesSent: number;
  /** Malformed client messages answered with an error. */
  errors: number;
  /** Socket-level errors reported by ws (resets, protocol violations). */
  socketErrors: number;
  /** Slow consumers disconnected with 1013. */
  dropped: number;
  /** Peers terminated because their pong was later than maxBacklogMs (dead, paused or too slow). */
  terminated: number;
  /** Connections destroyed for not completing their request or handshake within handshakeTimeoutMs. */
  handshakeTimeouts: number;
  /** subscribe/unsubscribe ops refused by the subscribe-rate limit (the connection stays open). */
  subscribeLimited: number;
  /** Clients closed with 1008 for sending too many messages per second. */
  rateLimited: number;
  /** Handshakes refused (origin, token, connection limit). */
  refused: number;
}

/** Frames above this are refused by ws itself (close 1009); between 64 KiB and this we reply with an error. */
const MAX_PAYLOAD = 16 * MAX_MESSAGE_BYTES;
const EVENT_TYPE: Record<Channel, string> = { signals: 'signal', bars: 'bar' };

interface ClientState {
  subs: Subscriptions;
  /** performance.now() of the unanswered ping, null when none is outstanding. */
  pingSentAt: number | null;
  /** When that ping was handed to the kernel (its write completed), null while it waits behind the backlog here. */
  pingLeftAt: number | null;
  /** When a frame of this client was last handed to the kernel (or the client connected). */
  lastWrittenAt: number;
  /** Write callback of this client's frames (one function per client: no allocation per send). */
  written: () => void;
  lastPingAt: number;
  closing: boolean;
  /** Subscribe-rate token bucket: tokens left and when they were last refilled. */
  subTokens: number;
  subRefilledAt: number;
  /** Messages received in the current one-second window, and when it began (performance.now). */
  windowStart: number;
  windowCount: number;
}

/** ws hands text frames over as one Buffer (binaryType 'nodebuffer'); the other shapes are for completeness. */
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * Pushes signals and bars to WebSocket clients by channel and symbol (JSON text frames).
 * Client ops: subscribe / unsubscribe {channel, symbols?} and ping. Events are serialized once per
 * publish with plain JSON.stringify, so numbers reach every client exactly as JS wrote them.
 */
export class SignalServer {
  private readonly opts: Required<SignalServerOptions>;
  private wss: WebSocketServer | null = null;
  private httpServer: Server | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private readonly clients = new Map<WebSocket, ClientState>();
  private readonly counters = { messagesSent: 0, errors: 0, socketErrors: 0, dropped: 0, terminated: 0, rateLimited: 0, refused: 0, handshakeTimeouts: 0, subscribeLimited: 0 };
  /** Handshake refusals by reason (metrics of a server running in a worker thread are taken from here). */
  readonly refusedBy = { origin: 0, token: 0, limit: 0 };
  private readonly handshakeTimers = new Map<Socket, NodeJS.Timeout>();

  constructor(options: SignalServerOptions) {
    this.opts = {
      host: '127.0.0.1',
      path: '/ws',
      maxBufferedBytes: 1024 * 1024,
      heartbeatMs: 5_000,
      maxBacklogMs: 10_000,
      handshakeTimeoutMs: 5_000,
      maxSubscribesPerSecond: 5,
      subscribeBurst: 20,
      closeTimeoutMs: 5_000,
      http: (_req, res) => {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      },
      token: '',
      origins: [],
      maxClients: 200,
      maxMessagesPerSecond: 50,
      ...options,
    };
  }

  start(): Promise<{ port: number }> {
    if (this.wss) return Promise.reject(new Error('SignalServer already started'));
    const { host, port, path } = this.opts;
    const server = createServer(this.opts.http);
    this.httpServer = server;
    const wss = new WebSocketServer({
      server,
      path,
      maxPayload: MAX_PAYLOAD,
      perMessageDeflate: false,
      verifyClient: (info: { origin: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
        const refusal = this.refusal(info.req);
        if (refusal === null) return done(true);
        this.counters.refused++;
        this.refusedBy[refusal.reason]++;
        metrics.wsRefused.inc({ reason: refusal.reason });
        done(false, refusal.code, refusal.message);
      },
    });
    this.wss = wss;
    wss.on('connection', (ws) => this.onConnection(ws));
    wss.on('error', () => this.counters.socketErrors++);
    // Half-open connections: a socket that has not sent a whole request (page/API) or upgrade
    // (WebSocket) within handshakeTimeoutMs is destroyed. Keep-alive idling after a request is
    // bounded by node's keepAliveTimeout (5 s).
    server.on('connection', (socket: Socket) => {
      const timer = setTimeout(() => {
        this.handshakeTimers.delete(socket);
        this.counters.handshakeTimeouts++;
        metrics.wsRefused.inc({ reason: 'handshake_timeout' });
        socket.destroy();
      }, this.opts.handshakeTimeoutMs);
      timer.unref();
      this.handshakeTimers.set(socket, timer);
      socket.once('close', () => this.clearHandshakeTimer(socket));
    });
    server.on('request', (req: IncomingMessage) => this.clearHandshakeTimer(req.socket));
    server.on('upgrade', (req: IncomingMessage) => this.clearHandshakeTimer(req.socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', () => this.counters.socketErrors++);
        this.heartbeat = setInterval(() => this.beat(), Math.max(5, Math.min(this.opts.heartbeatMs, this.opts.maxBacklogMs) / 2));
        this.heartbeat.unref();
        const addr = server.address();
        resolve({ port: typeof addr === 'object' && addr ? addr.port : port });
      });
    });
  }

  private clearHandshakeTimer(socket: Socket): void {
    const timer = this.handshakeTimers.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.handshakeTimers.delete(socket);
  }

  /** Why a handshake is refused, or null: Origin, token, then the connection limit. */
  private refusal(req: IncomingMessage): { code: number; message: string; reason: 'origin' | 'token' | 'limit' } | null {
    const origin = checkOrigin(req, this.opts.origins);
    if (origin !== null) return { code: 403, message: origin, reason: 'origin' };
    const token = checkToken(req, this.opts.token);
    if (token !== null) return { code: 401, message: token, reason: 'token' };
    if (this.clients.size >= this.opts.maxClients) return { code: 503, message: `connection limit reached (${this.opts.maxClients} clients)`, reason: 'limit' };
    return null;
  }

  /** Sends `{type: "signal"|"bar", data: payload}` to every client subscribed to (channel, symbol). */
  publish(channel: Channel, symbol: string, payload: object): void {
    let frame: string | null = null;
    for (const [ws, state] of this.clients) {
      if (state.closing || !state.subs.matches(channel, symbol)) continue;
      frame ??= SignalServer.frameOf(channel, payload);
      this.send(ws, state, frame);
    }
  }

  /** Sends an already serialized frame (`{"type":..,"data":..}`) to the clients subscribed to (channel, symbol). */
  publishFrame(channel: Channel, symbol: string, frame: string): void {
    for (const [ws, state] of this.clients) {
      if (state.closing || !state.subs.matches(channel, symbol)) continue;
      this.send(ws, state, frame);
    }
  }

  /** The frame publish() sends for a payload. */
  static frameOf(channel: Channel, payload: object): string {
    return JSON.stringify({ type: EVENT_TYPE[channel], data: payload });
  }

  /** The listening HTTP server (null before start). */
  get server(): Server | null {
    return this.httpServer;
  }

  stats(): SignalServerStats {
    return { clients: this.clients.size, ...this.counters };
  }

  /** Closes every client with 1001 and resolves once the listening socket and all connections are closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const wss = this.wss;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!wss) return (this.closing = Promise.resolve());
    const clientsClosed = [...this.clients].map(([ws, state]) => {
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      this.closeClient(ws, state, 1001, 'server shutting down');
      return closed;
    });
    // ws's own 'close' events can come after the listening socket's: wait for both.
    const http = this.httpServer;
    const serverClosed = new Promise<void>((resolve) => wss.close(() => resolve())).then(
      () =>
        new Promise<void>((resolve) => {
          if (!http) return resolve();
          http.close(() => resolve());
          http.closeAllConnections(); // idle keep-alive page/API connections
        }),
    );
    this.closing = Promise.all([serverClosed, ...clientsClosed]).then(() => undefined);
    return this.closing;
  }

  private onConnection(ws: WebSocket): void {
    if (this.closing) {
      ws.terminate();
      return;
    }
    const now = performance.now();
    const state: ClientState = {
      subs: new Subscriptions(),
      pingSentAt: null,
      pingLeftAt: null,
      lastWrittenAt: now,
      written: () => (state.lastWrittenAt = performance.now()),
      lastPingAt: now,
      closing: false,
      subTokens: this.opts.subscribeBurst,
      subRefilledAt: now,
      windowStart: now,
      windowCount: 0,
    };
    this.clients.set(ws, state);
    metrics.wsClients.set(this.clients.size);
    ws.on('pong', () => {
      state.pingSentAt = null;
      state.pingLeftAt = null;
    });
    ws.on('error', () => this.counters.socketErrors++); // without a listener ws would throw
    ws.on('close', () => {
      this.clients.delete(ws);
      metrics.wsClients.set(this.clients.size);
    });
    ws.on('message', (data, isBinary) => this.onMessage(ws, state, data, isBinary));
  }

  private onMessage(ws: WebSocket, state: ClientState, data: RawData, isBinary: boolean): void {
    if (state.closing) return;
    const now = performance.now();
    if (now - state.windowStart >= 1000) {
      state.windowStart = now;
      state.windowCount = 0;
    }
    if (++state.windowCount > this.opts.maxMessagesPerSecond) {
      this.counters.rateLimited++;
      metrics.wsDropped.inc({ reason: 'rate_limit' });
      this.closeClient(ws, state, 1008, `message rate limit: more than ${this.opts.maxMessagesPerSecond} per second`);
      return;
    }
    if (isBinary) return this.replyError(ws, state, 'binary frames are not supported: send JSON text');
    const parsed = parseClientMessage(toBytes(data));
    if (!parsed.ok) return this.replyError(ws, state, parsed.error);
    const msg = parsed.message;
    if (msg.op === 'ping') return this.send(ws, state, '{"type":"pong"}');
    if (!this.takeSubscribeToken(state, now)) {
      this.counters.subscribeLimited++;
      return this.replyError(ws, state, `subscribe rate limit: at most ${this.opts.maxSubscribesPerSecond} subscribe/unsubscribe per second (bursts of ${this.opts.subscribeBurst}); this ${msg.op} was ignored`);
    }
    const result =
      msg.op === 'subscribe' ? state.subs.subscribe(msg.channel, msg.symbols) : state.subs.unsubscribe(msg.channel, msg.symbols);
    if ('error' in result) return this.replyError(ws, state, result.error);
    const type = msg.op === 'subscribe' ? 'subscribed' : 'unsubscribed';
    this.send(ws, state, JSON.stringify({ type, channel: msg.channel, symbols: result.symbols }));
  }

  /** Token bucket: refills maxSubscribesPerSecond per second up to subscribeBurst. */
  private takeSubscribeToken(state: ClientState, now: number): boolean {
    const refill = ((now - state.subRefilledAt) / 1000) * this.opts.maxSubscribesPerSecond;
    state.subTokens = Math.min(this.opts.subscribeBurst, state.subTokens + refill);
    state.subRefilledAt = now;
    if (state.subTokens < 1) return false;
    state.subTokens -= 1;
    return true;
  }

  private replyError(ws: WebSocket, state: ClientState, error: string): void {
    this.counters.errors++;
    this.send(ws, state, JSON.stringify({ type: 'error', error }));
  }

  /** Checks the client's backlog first, so memory per client stays below maxBufferedBytes + one frame. */
  private send(ws: WebSocket, state: ClientState, frame: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.opts.maxBufferedBytes) {
      this.counters.dropped++;
      metrics.wsDropped.inc({ reason: 'slow_consumer' });
      this.closeClient(ws, state, 1013, 'slow consumer: send buffer full');
      return;
    }
    ws.send(frame, state.written);
    this.counters.messagesSent++;
    metrics.wsMessagesSent.inc();
  }

  private closeClient(ws: WebSocket, state: ClientState, code: number, reason: string): void {
    if (state.closing) return;
    state.closing = true;
    ws.close(code, reason);
    // The close frame waits behind the unsent backlog; a peer that never reads it is cut off.
    const timer = setTimeout(() => ws.terminate(), this.opts.closeTimeoutMs);
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
  }

  /**
   * Runs every min(heartbeatMs, maxBacklogMs) / 2: pings clients every heartbeatMs and terminates
   * those that do not read (see `stale`). The verdict waits for setImmediate, which runs after the
   * event loop has read the sockets: after a stall of this thread (a loaded machine, a long task),
   * timers run before the pongs that arrived meanwhile are read, and a client that answered in time
   * would otherwise be cut for the server's own stall.
   */
  private beat(): void {
    const now = performance.now();
    const suspects: [WebSocket, ClientState][] = [];
    for (const [ws, state] of this.clients) {
      if (state.closing) continue;
      if (state.pingSentAt !== null) {
        if (this.stale(state, now)) suspects.push([ws, state]);
        continue;
      }
      if (now - state.lastPingAt < this.opts.heartbeatMs) continue;
      const sentAt = now;
      state.pingSentAt = state.lastPingAt = sentAt;
      state.pingLeftAt = null;
      ws.ping(undefined, undefined, () => {
        if (state.pingSentAt === sentAt) state.pingLeftAt = performance.now();
      });
    }
    if (suspects.length === 0) return;
    setImmediate(() => {
      const later = performance.now();
      for (const [ws, state] of suspects) {
        if (state.closing || state.pingSentAt === null || !this.stale(state, later)) continue;
        this.counters.terminated++;
        metrics.wsDropped.inc({ reason: 'stale' });
        state.closing = true;
        ws.terminate();
      }
    });
  }

  /**
   * A client with a ping outstanding does not read: the ping reached the kernel more than
   * maxBacklogMs ago and no pong came back (it has not read what was sent before it), or the ping
   * is still queued here behind the backlog and nothing of that backlog has reached the kernel for
   * maxBacklogMs (the peer's windows are shut: it does not read). A client that reads, however
   * slowly, keeps its backlog moving and is left to the byte limit (maxBufferedBytes).
   */
  private stale(state: ClientState, now: number): boolean {
    const limit = this.opts.maxBacklogMs;
    if (state.pingSentAt === null) return false;
    if (state.pingLeftAt !== null) return now - state.pingLeftAt > limit;
    return now - state.pingSentAt > limit && now - state.lastWrittenAt > limit;
  }
}
