/**
 * A local stand-in for Binance spot (no network here): it speaks the venue's documented protocol
 * (https://developers.binance.com/docs/binance-spot-api-docs) so that ccxt, pointed at it by URL,
 * runs its real code path:
 * - GET /api/v3/exchangeInfo: the spot markets (the fields ccxt reads);
 * - GET /api/v3/aggTrades?symbol&startTime&endTime&limit: the recorded trades of that window, in id order;
 * - WebSocket /ws/<n>: {"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":k} → {"result":null,"id":k},
 *   then aggTrade events ({"e":"aggTrade","E","s","a","p","q","f","l","T","m","M"}) pushed by the test.
 * The test holds the recorded tape (`trades`) and decides what the stream sends: in order, dropped
 * (to make a hole the backfill must fill), duplicated, reordered, malformed, or nothing (a stall).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One aggregate trade as Binance's REST returns it. */
export interface AggTrade {
  a: number;
  p: string;
  q: string;
  f: number;
  l: number;
  T: number;
  m: boolean;
  M: boolean;
}

export interface RecordedTrade extends AggTrade {
  symbol: string;
}

const market = (symbol: string, base: string, quote: string): object => ({
  symbol,
  status: 'TRADING',
  baseAsset: base,
  baseAssetPrecision: 8,
  quoteAsset: quote,
  quotePrecision: 8,
  quoteAssetPrecision: 8,
  orderTypes: ['LIMIT', 'MARKET'],
  icebergAllowed: true,
  ocoAllowed: true,
  isSpotTradingAllowed: true,
  isMarginTradingAllowed: true,
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
    { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
  ],
  permissions: [],
  permissionSets: [['SPOT']],
});

export class FakeBinance {
  /** The venue's tape: every trade that happened, per symbol in id order. */
  readonly trades: RecordedTrade[] = [];
  /** REST requests served (path + query), in order. */
  readonly restCalls: string[] = [];
  /** Subscriptions received ("btcusdt@aggTrade"), in order, over all connections. */
  readonly subscriptions: string[] = [];
  /** Open stream connections and the streams each subscribed to. */
  private readonly sockets = new Map<WebSocket, Set<string>>();
  private http: Server | null = null;
  private wss: WebSocketServer | null = null;
  port = 0;

  async start(): Promise<void> {
    this.http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      this.restCalls.push(`${url.pathname}${url.search}`);
      const json = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/api/v3/exchangeInfo') {
        return json(200, { timezone: 'UTC', serverTime: 0, rateLimits: [], exchangeFilters: [], symbols: [market('BTCUSDT', 'BTC', 'USDT'), market('ETHUSDT', 'ETH', 'USDT')] });
      }
      if (url.pathname === '/api/v3/aggTrades') {
        const symbol = url.searchParams.get('symbol') ?? '';
        const start = Number(url.searchParams.get('startTime') ?? '-Infinity');
        const end = Number(url.searchParams.get('endTime') ?? 'Infinity');
        const limit = Number(url.searchParams.get('limit') ?? '500');
        const rows = this.trades.filter((t) => t.symbol === symbol && t.T >= start && t.T <= end).slice(0, limit);
        return json(200, rows.map(({ symbol: _s, ...row }) => row));
      }
      json(404, { code: -1100, msg: `no such endpoint ${url.pathname}` });
    });
    this.wss = new WebSocketServer({ server: this.http });
    this.wss.on('connection', (ws) => {
      const streams = new Set<string>();
      this.sockets.set(ws, streams);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        const msg = JSON.parse(Buffer.from(data as Buffer).toString()) as { method: string; params: string[]; id: number };
        if (msg.method === 'SUBSCRIBE') {
          this.subscriptions.push(...msg.params);
          for (const p of msg.params) streams.add(p);
          ws.send(JSON.stringify({ result: null, id: msg.id }));
        }
      });
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
  }

  get restUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
  /** Open stream connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Pushes raw text (a malformed message too) to the connections subscribed to the symbol's aggTrade stream. */
  sendRaw(text: string, symbol: string): void {
    for (const [ws, streams] of this.sockets) if (streams.has(`${symbol.toLowerCase()}@aggTrade`)) ws.send(text);
  }

  /** Pushes one trade of the tape as Binance's aggTrade event. */
  send(t: RecordedTrade, eventTime = t.T + 1): void {
    const { symbol, ...row } = t;
    this.sendRaw(JSON.stringify({ e: 'aggTrade', E: eventTime, s: symbol, ...row }), symbol);
  }

  /** Drops every stream connection (a network cut: the client sees the socket close). */
  disconnect(): void {
    for (const ws of this.sockets.keys()) ws.terminate();
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets.keys()) ws.terminate();
    await new Promise<void>((resolve) => this.wss!.close(() => resolve()));
    await new Promise<void>((resolve) => this.http!.close(() => resolve()));
  }
}

/** A recorded-looking tape: `n` trades per symbol, ids from `firstId`, one per `stepMs` from `t0`. */
export function tape(symbols: readonly string[], n: number, opts: { firstId?: number; t0?: number; stepMs?: number } = {}): RecordedTrade[] {
  const out: RecordedTrade[] = [];
  const t0 = opts.t0 ?? 1_767_225_600_000;
  for (const [k, symbol] of symbols.entries()) {
    for (let i = 0; i < n; i++) {
      const a = (opts.firstId ?? 1000) + i;
      const price = (symbol === 'BTCUSDT' ? 90_000 : 3_000) + ((i * 37) % 101) / 100;
      out.push({ symbol, a, p: price.toFixed(2), q: (0.001 * (1 + (i % 7))).toFixed(5), f: a * 3, l: a * 3 + 2, T: t0 + i * (opts.stepMs ?? 100) + k, m: i % 3 === 0, M: true });
    }
  }
  return out;
}
