/**
 * Who may use the server: the token check (page, API and WebSocket) and the WebSocket's Origin
 * check. Each returns null when allowed, else the reason (sent back with the refusal).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True for addresses only this machine can reach (the default bind, 127.0.0.1). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The token a request carries: `?token=` or `Authorization: Bearer <token>`. */
export function requestToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth !== undefined && /^Bearer /i.test(auth)) return auth.slice(7).trim();
  const url = new URL(req.url ?? '/', 'http://x');
  return url.searchParams.get('token');
}

/** '' = no token configured: every request passes. Compared in constant time. */
export function checkToken(req: IncomingMessage, token: string): string | null {
  if (token === '') return null;
  const given = requestToken(req);
  if (given === null) return 'token required: add ?token=... to the URL or send Authorization: Bearer ...';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b) ? null : 'wrong token';
}

/**
 * Browsers send Origin on a WebSocket handshake; programs usually do not (allowed: the token
 * guards them). Allowed: loopback origins, the server's own host (the page it served), `extra`.
 */
export function checkOrigin(req: IncomingMessage, extra: readonly string[]): string | null {
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  if (extra.includes(origin)) return null;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `origin ${origin} not allowed`;
  }
  if (isLoopbackHost(parsed.hostname)) return null;
  if (req.headers.host !== undefined && parsed.host === req.headers.host) return null;
  return `origin ${origin} not allowed`;
}

/** Requests that arrived through the fan-out worker's forwarder, with the client address it saw. */
const forwardedClients = new WeakMap<IncomingMessage, string>();

/** Marks `req` as forwarded by the fan-out worker (only the loopback forwarding server does this). */
export function trustForwardedFor(req: IncomingMessage): void {
  const f = req.headers['x-forwarded-for'];
  if (typeof f === 'string' && f !== '') forwardedClients.set(req, f);
}

/** The client's address: the one the worker forwarded, else the socket's peer (a client-sent header is never trusted). */
export function clientAddressOf(req: IncomingMessage): string {
  return forwardedClients.get(req) ?? req.socket.remoteAddress ?? 'unknown';
}
