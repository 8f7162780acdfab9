/**
 * A local stand-in for NSE's option-chain API (no network here), speaking what its public site does:
 * - GET /option-chain: the page; sets the cookies (`nsit`, `nseappid`) the API wants;
 * - GET /api/option-chain-indices?symbol=NIFTY: 401/403 without those cookies (NSE refuses a
 *   client that skipped the page), else the next recorded payload of that symbol (JSON with
 *   `records.timestamp`, `records.underlyingValue`, `records.data[]` rows with `CE`/`PE` legs).
 * The test queues what each API call gets: a payload (`json`), a raw body (`raw`, e.g. malformed
 * JSON), an HTTP status (`status`, e.g. a 5xx burst), a dropped connection (`drop`), no answer at
 * all (`hang`: headers sent, the body never ends, until the client gives up), or `expire`
 * (the cookies stop being valid: 403 until the next handshake). An empty queue repeats the last
 * payload served (NSE answers the same snapshot until it refreshes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';

export type NseReply = { json: object } | { raw: string } | { status: number } | { drop: true } | { hang: true } | { expire: true };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The recorded NIFTY payloads (test/fixtures/nse/make-nse-payloads.ts builds them from ../shared/data). */
export function recordedNifty(): Array<{ records: { timestamp: string; underlyingValue: number; data: unknown[] } }> {
  return JSON.parse(readFileSync(new URL('../fixtures/nse/nifty-20260818.json', import.meta.url), 'utf8')) as ReturnType<typeof recordedNifty>;
}

/** epoch ms → NSE's "18-Aug-2026 10:43:00" in India time (UTC+05:30, no daylight saving). */
export function nseStamp(ts: number): string {
  const d = new Date(ts + 5.5 * 3_600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** A payload with its records.timestamp replaced. */
export function restamped<T extends { records: { timestamp: string } }>(payload: T, ts: number): T {
  return { ...payload, records: { ...payload.records, timestamp: nseStamp(ts) } };
}

export class FakeNse {
  /** Per symbol, the replies still to serve, in order. */
  readonly queue = new Map<string, NseReply[]>();
  /** Requests served (method path), in order. */
  readonly calls: string[] = [];
  /** API calls refused for want of cookies. */
  refused = 0;
  handshakes = 0;
  private generation = 1;
  private readonly last = new Map<string, object>();
  private server: Server | null = null;

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  push(symbol: string, ...replies: NseReply[]): void {
    let q = this.queue.get(symbol);
    if (q === undefined) this.queue.set(symbol, (q = []));
    q.push(...replies);
  }

  /** API replies served per symbol so far (refusals excluded). */
  served(symbol: string): number {
    return this.calls.filter((c) => c.includes(`symbol=${symbol}`) && !c.endsWith(' refused')).length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/option-chain') {
        this.handshakes++;
        this.calls.push(`GET ${url.pathname}`);
        res.setHeader('set-cookie', [`nsit=g${this.generation}; Path=/; HttpOnly`, `nseappid=app${this.generation}; Path=/; Secure`]);
        res.setHeader('content-type', 'text/html');
        res.end('<html><body>Option Chain</body></html>');
        return;
      }
      if (url.pathname !== '/api/option-chain-indices') {
        res.statusCode = 404;
        res.end();
        return;
      }
      const symbol = url.searchParams.get('symbol') ?? '';
      const cookie = req.headers.cookie ?? '';
      const ok = cookie.includes(`nsit=g${this.generation}`) && cookie.includes(`nseappid=app${this.generation}`) && (req.headers['user-agent'] ?? '').startsWith('Mozilla/');
      if (!ok) {
        this.refused++;
        this.calls.push(`GET ${url.pathname}?symbol=${symbol} refused`);
        res.statusCode = 403;
        res.end('{"message":"Forbidden"}');
        return;
      }
      const q = this.queue.get(symbol) ?? [];
      let reply = q.shift();
      if (reply !== undefined && 'expire' in reply) {
        this.generation++;
        this.refused++;
        this.calls.push(`GET ${url.pathname}?symbol=${symbol} refused`);
        res.statusCode = 401;
        res.end('{}');
        return;
      }
      this.calls.push(`GET ${url.pathname}?symbol=${symbol}`);
      if (reply === undefined) {
        const last = this.last.get(symbol);
        reply = last === undefined ? { json: {} } : { json: last };
      }
      if ('drop' in reply) {
        req.socket.destroy();
        return;
      }
      if ('hang' in reply) {
        res.setHeader('content-type', 'application/json');
        res.write('{"records":');
        return;
      }
      if ('status' in reply) {
        res.statusCode = reply.status;
        res.end('<html>Resource not available</html>');
        return;
      }
      res.setHeader('content-type', 'application/json');
      if ('raw' in reply) {
        res.end(reply.raw);
        return;
      }
      this.last.set(symbol, reply.json);
      res.end(JSON.stringify(reply.json));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
