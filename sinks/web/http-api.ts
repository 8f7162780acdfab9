/**
 * The HTTP side of the dashboard port: the page, its assets, the JSON API and /metrics. GET and
 * HEAD only; parameters are validated with zod (400 with the reason); every list is bounded by a
 * `limit` (default and maximum below) and says whether it was cut.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { metrics, registry } from '../../lib/metrics.ts';
import { checkToken, clientAddressOf } from '../ws/access.ts';
import type { PageAssets } from './page-assets.ts';
import type { TearSheet } from './tear-sheet.ts';
import type { TearSheetGenerator } from './tear-sheet-generator.ts';
import type { ModelHealth, Signal } from '../../schemas/index.ts';
import type { TopicHistory } from './topic-history.ts';
import { DEFAULT_RESPONSE_CACHE_BYTES, matchesIfNoneMatch, ResponseCache, serialize, type Answer } from './response-cache.ts';

export const DEFAULT_LIMIT = 2_000;
/** Two weeks of 5-minute bars is 4,032: the page's whole history fits in one request. */
export const MAX_LIMIT = 10_000;
/** Feature vectors are wide (up to a few hundred values): a smaller cap. */
export const MAX_FEATURE_LIMIT = 2_000;
const MAX_SYMBOL_LENGTH = 64;
/** Query strings longer than this are refused before parsing. */
const MAX_URL_LENGTH = 2_048;
/**
 * Requests per client address and window. A page makes about 25 a minute (health every 3 s, the
 * model card every minute, the option panel at every 5-minute bar) and 7 when it loads, so this
 * leaves room for a few dozen pages behind one address (a proxy, or the 50-page benchmark).
 */
export const DEFAULT_RATE_LIMIT = { requests: 1_000, perSeconds: 60 };
/**
 * Requests from all clients together (every route but /api/health, which probes use and which
 * costs the processing thread at most ten answers a second, D112), so a crowd of addresses cannot
 * take the serving thread's core either: beyond it, 429 with Retry-After (D131).
 */
export const DEFAULT_GLOBAL_RATE_LIMIT = { requests: 100, perSeconds: 1 };

export interface DashboardApiOptions {
  history: TopicHistory;
  assets: PageAssets;
  /** The model card (/api/model): null when the process runs without a model. */
  model: () => Promise<object | null>;
  /** /api/health body. */
  health: () => Promise<object>;
  /** '' = none. Required on every route but /api/health when set. */
  token: string;
  /** The current model's backtest tear sheet (/report); absent: 404 saying the process has no model directory. */
  tearSheet?: (modelId: string) => Promise<TearSheet>;
  /**
   * Generates the tear sheet on request (/api/tear-sheet?generate=true); absent: 503 saying this
   * process cannot (no embedded log or model directory to backtest).
   */
  generator?: TearSheetGenerator | null;
  /** Per client address (the socket's remote address): beyond it, 429 with Retry-After. */
  rateLimit?: { requests: number; perSeconds: number };
  /** All clients together, /api/health excepted: beyond it, 429 with Retry-After. */
  globalRateLimit?: { requests: number; perSeconds: number };
  /** Bytes of serialized answers kept per log position (response-cache.ts); 0 = none kept (each request computes). */
  responseCacheBytes?: number;
  /**
   * The /metrics body (Prometheus text, `registry.contentType`). Default: this thread's registry;
   * a handler in the fan-out worker asks the processing thread's.
   */
  metricsText?: () => Promise<string>;
}

const epochMs = (name: string) =>
  z.coerce
    .number({ error: `${name} must be epoch milliseconds` })
    .int(`${name} must be an integer (epoch milliseconds)`)
    .min(0, `${name} must be >= 0`)
    .max(8.64e15, `${name} is past the year 275760`);

const symbol = z
  .string({ error: 'symbol is required' })
  .min(1, 'symbol is required')
  .max(MAX_SYMBOL_LENGTH, `symbol is longer than ${MAX_SYMBOL_LENGTH} characters`);

const limit = (max: number, dflt: number) =>
  z.coerce.number({ error: 'limit must be a number' }).int('limit must be an integer').min(1, 'limit must be >= 1').max(max, `limit must be <= ${max}`).default(dflt);

const rangeChecked = <T extends { from?: number | undefined; to?: number | undefined }>(s: z.ZodType<T>) =>
  s.refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'from must be before to' });

const TOKEN = { token: z.string().optional() };

const barsQuery = rangeChecked(
  z.strictObject({
    symbol,
    interval: z.enum(['1m', '5m', '15m', '1h'], { error: 'interval must be one of 1m, 5m, 15m, 1h' }).default('5m'),
    from: epochMs('from').optional(),
    to: epochMs('to').optional(),
    limit: limit(MAX_LIMIT, DEFAULT_LIMIT),
    ...TOKEN,
  }),
);

const signalsQuery = rangeChecked(
  z.strictObject({
    symbol,
    from: epochMs('from').optional(),
    to: epochMs('to').optional(),
    limit: limit(MAX_LIMIT, DEFAULT_LIMIT),
    /** false: leave out each signal's `inputs` (log positions), about half the bytes. */
    provenance: z.enum(['true', 'false'], { error: 'provenance must be true or false' }).default('true'),
    /** chart: only what the page's chart draws (a quarter of the bytes; no inputs, contributions, reason, ids of the model; the contract, for the markers). */
    fields: z.enum(['all', 'chart'], { error: 'fields must be all or chart' }).default('all'),
    ...TOKEN,
  }),
);

const featuresQuery = rangeChecked(
  z.strictObject({
    symbol,
    from: epochMs('from').optional(),
    to: epochMs('to').optional(),
    limit: limit(MAX_FEATURE_LIMIT, 500),
    /** Comma-separated feature names; absent = all. */
    names: z
      .string()
      .max(1_000, 'names is longer than 1000 characters')
      .transform((s) => s.split(',').filter(Boolean))
      .optional(),
    ...TOKEN,
  }),
);

const noParams = z.strictObject({ ...TOKEN });

const tearSheetQuery = z.strictObject({
  /** true: start generating the current model's tear sheet over the log as it is now. */
  generate: z.enum(['true', 'false'], { error: 'generate must be true or false' }).default('false'),
  ...TOKEN,
});

/** Seconds a client is told to wait while a tear sheet is being generated. */
export const TEAR_SHEET_RETRY_S = 5;

const modelQuery = z.strictObject({
  /** The symbol whose latest model-health report the card carries; absent: every symbol with bars. */
  symbol: symbol.optional(),
  ...TOKEN,
});

/** Model-health reports served with the card: one per symbol, at most this many symbols. */
const MAX_HEALTH_SYMBOLS = 64;

type Handler = (params: Record<string, string>) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
type Computed = { status: number; body: unknown; headers?: Record<string, string> };
/**
 * A route whose answer depends only on its parameters and the log's records: parsed, then served
 * from the cache of answers while `version` (where the log is for it) is unchanged.
 */
interface Cacheable<Q extends { token?: string | undefined }> {
  parse: (params: Record<string, string>) => Q;
  version: (q: Q) => Promise<string>;
  compute: (q: Q) => Promise<Computed>;
}
const cacheable = <Q extends { token?: string | undefined }>(c: Cacheable<Q>): Cacheable<{ token?: string | undefined }> => c as unknown as Cacheable<{ token?: string | undefined }>;

class BadRequest extends Error {}

/** The current model's backtest tear sheet (HTML). */
export const REPORT_PATH = '/report';

function parseWith<T>(schema: z.ZodType<T>, params: Record<string, string>): T {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const reason = r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : i.message)).join('; ');
  throw new BadRequest(reason);
}

/** Returns the request handler for SignalServer's `http` option. */
export function dashboardHandler(o: DashboardApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const h = o.history;
  /** The live part of the model card: the latest health report per symbol, and where the tear sheet is. */
  const sheetOf = async (modelId: string): Promise<{ available: boolean; url: string | null; reason: string | null }> => {
    const sheet = o.tearSheet ? await o.tearSheet(modelId) : { ok: false as const, reason: 'this process has no model directory' };
    return sheet.ok ? { available: true, url: '/report', reason: null } : { available: false, url: null, reason: sheet.reason };
  };
  type ModelQ = z.infer<typeof modelQuery>;
  const cached = new Map<string, Cacheable<{ token?: string | undefined }>>([
    [
      '/api/symbols',
      cacheable({
        parse: (p) => parseWith(noParams, p),
        version: () => h.position('bars'),
        compute: async () => ({ status: 200, body: { symbols: await h.symbols() } }),
      }),
    ],
    [
      '/api/bars',
      cacheable({
        parse: (p) => parseWith(barsQuery, p),
        version: (q) => h.position('bars', q.symbol),
        compute: async (q) => {
          const r = await h.bars(defined(q));
          return { status: 200, body: { symbol: q.symbol, interval: q.interval, from: q.from ?? null, to: q.to ?? null, limit: q.limit, count: r.rows.length, truncated: r.truncated, bars: r.rows } };
        },
      }),
    ],
    [
      '/api/signals',
      cacheable({
        parse: (p) => parseWith(signalsQuery, p),
        version: (q) => h.position('signals', q.symbol),
        compute: async (q) => {
          const r = await h.signals(defined(q));
          const signals = q.fields === 'chart' ? r.rows.map(chartFields) : q.provenance === 'true' ? r.rows : r.rows.map(({ inputs: _inputs, ...rest }) => rest);
          return { status: 200, body: { symbol: q.symbol, from: q.from ?? null, to: q.to ?? null, limit: q.limit, count: signals.length, truncated: r.truncated, signals } };
        },
      }),
    ],
    [
      '/api/features',
      cacheable({
        parse: (p) => parseWith(featuresQuery, p),
        version: (q) => h.position('features', q.symbol),
        compute: async (q) => {
          const r = await h.features(defined(q));
          const names = q.names;
          const rows = r.rows.map((f) => ({
            barEnd: f.barEnd,
            featureSetId: f.featureSetId,
            // Names the feature set does not have are left out (null means "not warmed up").
            features: names ? Object.fromEntries(names.filter((n) => n in f.features).map((n) => [n, f.features[n] ?? null])) : f.features,
          }));
          return { status: 200, body: { symbol: q.symbol, from: q.from ?? null, to: q.to ?? null, limit: q.limit, count: rows.length, truncated: r.truncated, features: rows } };
        },
      }),
    ],
    [
      '/api/model',
      cacheable<ModelQ>({
        parse: (p) => parseWith(modelQuery, p),
        // The manifest is read once; the card's live part comes from the bars (which symbols), the
        // model-health records and the tear sheet's presence (looked for again at most every 30 s).
        version: async (q) => {
          const model = (await o.model()) as { modelId?: unknown } | null;
          if (model === null || typeof model.modelId !== 'string') return 'no model';
          const symbols = q.symbol !== undefined ? `symbol ${q.symbol}` : await h.position('bars');
          return `${symbols}|${await h.position('model-health', q.symbol)}|${JSON.stringify(await sheetOf(model.modelId))}`;
        },
        compute: async (q) => {
          const model = (await o.model()) as ({ modelId?: unknown; card?: object } & Record<string, unknown>) | null;
          if (model === null) return { status: 404, body: { error: 'no model loaded in this process' } };
          if (typeof model.modelId !== 'string') return { status: 200, body: model };
          const modelId = model.modelId;
          const symbols = q.symbol !== undefined ? [q.symbol] : (await h.symbols()).slice(0, MAX_HEALTH_SYMBOLS).map((x) => x.symbol);
          const health: Record<string, ModelHealth | null> = {};
          for (const sym of symbols) health[sym] = (await h.modelHealth({ symbol: sym, limit: 1, modelId })).rows[0] ?? null;
          const tearSheet = await sheetOf(modelId);
          return { status: 200, body: { ...model, card: { ...model.card, health, tearSheet } } };
        },
      }),
    ],
  ]);
  const cacheBytes = o.responseCacheBytes ?? DEFAULT_RESPONSE_CACHE_BYTES;
  const answers = cacheBytes > 0 ? new ResponseCache(cacheBytes) : null;

  const routes = new Map<string, Handler>([
    [
      '/api/tear-sheet',
      async (p) => {
        const q = parseWith(tearSheetQuery, p);
        const model = (await o.model()) as { modelId?: unknown } | null;
        if (model === null || typeof model.modelId !== 'string') return { status: 404, body: { error: 'no model loaded in this process' } };
        const g = o.generator ?? null;
        if (g === null) return { status: 503, body: { error: 'this process cannot generate a tear sheet (it runs no model over an embedded log or Kafka it can replay); write one with `tickflow replay backtest`' } };
        const status = (): object => ({ ...g.current(), url: REPORT_PATH });
        if (q.generate === 'false') return { status: 200, body: { modelId: model.modelId, ...status(), onDisk: await g.onDisk() } };
        const a = await g.request(model.modelId);
        if (a.kind === 'busy') return { status: 503, body: { error: `a tear sheet is being generated (model ${a.key.modelId}, log end ${a.key.logEnd}, started ${new Date(a.startedAt).toISOString()}): one at a time; retry when it is ready`, retryAfterSeconds: TEAR_SHEET_RETRY_S }, headers: { 'retry-after': String(TEAR_SHEET_RETRY_S) } };
        if (a.kind === 'cached') return { status: 200, body: { modelId: model.modelId, state: 'ready', key: a.key, cached: true, url: REPORT_PATH } };
        return { status: 202, body: { modelId: model.modelId, state: 'generating', key: a.key, url: REPORT_PATH } };
      },
    ],
    [
      '/api/health',
      async (p) => {
        parseWith(noParams, p);
        return { status: 200, body: await o.health() };
      },
    ],
  ]);

  const limits = o.rateLimit ?? DEFAULT_RATE_LIMIT;
  // Counters per address, dropped when their window ends: memory grows with the addresses seen in one window.
  const limiter = new RateLimiterMemory({ points: limits.requests, duration: limits.perSeconds });
  const globalLimits = o.globalRateLimit ?? DEFAULT_GLOBAL_RATE_LIMIT;
  const globalLimiter = new RateLimiterMemory({ points: globalLimits.requests, duration: globalLimits.perSeconds });
  const refusedBy = async (l: RateLimiterMemory, key: string): Promise<RateLimiterRes | null> =>
    l.consume(key).then(
      () => null,
      (r: unknown) => {
        if (r instanceof RateLimiterRes) return r;
        throw r as Error;
      },
    );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<string> => {
    const client = clientAddressOf(req);
    const over = await refusedBy(limiter, client);
    if (over !== null) {
      const retry = Math.max(1, Math.ceil(over.msBeforeNext / 1000));
      send(res, 429, { error: `rate limit: more than ${limits.requests} requests in ${limits.perSeconds} s from ${client}; retry in ${retry} s` }, { 'retry-after': String(retry) });
      return 'limited';
    }
    const u = req.url ?? '';
    if (u !== '/api/health' && !u.startsWith('/api/health?')) {
      const all = await refusedBy(globalLimiter, 'all');
      if (all !== null) {
        const retry = Math.max(1, Math.ceil(all.msBeforeNext / 1000));
        send(res, 429, { error: `rate limit: this server answers at most ${globalLimits.requests} requests in ${globalLimits.perSeconds} s from all clients together; retry in ${retry} s` }, { 'retry-after': String(retry) });
        return 'limited';
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: `method ${req.method ?? ''} not allowed: GET only` }, { allow: 'GET, HEAD' });
      return 'other';
    }
    if ((req.url ?? '').length > MAX_URL_LENGTH) {
      send(res, 414, { error: `URL longer than ${MAX_URL_LENGTH} characters` });
      return 'other';
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const asset = o.assets.get(path);
    const route = routes.get(path);
    const answered = cached.get(path);
    const known = asset !== undefined || route !== undefined || answered !== undefined || path === '/metrics' || path === REPORT_PATH;
    if (!known) {
      send(res, 404, { error: `not found: ${path}` });
      return 'other';
    }
    // The health check stays open so a load balancer can probe without the token.
    if (path !== '/api/health') {
      const denied = checkToken(req, o.token);
      if (denied !== null) {
        send(res, 401, { error: denied });
        return path;
      }
    }
    if (asset !== undefined) {
      res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.byteLength, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return 'page';
    }
    if (path === REPORT_PATH) {
      await serveTearSheet(req, res, url);
      return path;
    }
    if (path === '/metrics') {
      const text = await (o.metricsText ?? (() => registry.metrics()))();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : text);
      return path;
    }
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) {
      if (k in params) {
        send(res, 400, { error: `parameter ${k} given more than once` });
        return path;
      }
      params[k] = v;
    }
    try {
      if (answered !== undefined) {
        const q = answered.parse(params);
        // The token is not part of the question: every client with access shares the answer.
        const question = { ...q, token: undefined };
        const compute = (): Promise<Computed> => answered.compute(q);
        const counted = (): void => metrics.httpComputed.inc({ route: path });
        const a =
          answers === null
            ? await (counted(), compute()).then((r) => serialize(r.status, r.body, r.headers))
            : await answers.get(`${path}?${JSON.stringify(question)}`, await answered.version(q), compute, counted);
        sendAnswer(req, res, a);
        return path;
      }
      const r = await (route as Handler)(params);
      send(res, r.status, r.body, r.headers);
    } catch (e) {
      if (e instanceof BadRequest) send(res, 400, { error: e.message });
      else send(res, 500, { error: `internal error: ${(e as Error).message}` });
    }
    return path;
  };

  /** The tear sheet: its own HTML (inline SVG and CSS, no script), under a policy that lets it load nothing. */
  const serveTearSheet = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const extra = [...url.searchParams.keys()].filter((k) => k !== 'token');
    if (extra.length) return send(res, 400, { error: `unknown parameter(s): ${extra.join(', ')}` });
    const model = (await o.model()) as { modelId?: unknown } | null;
    if (model === null || typeof model.modelId !== 'string') return send(res, 404, { error: 'no model loaded in this process' });
    const sheet = o.tearSheet ? await o.tearSheet(model.modelId) : { ok: false as const, reason: 'this process has no model directory' };
    if (!sheet.ok) return send(res, 404, { error: o.generator ? `${sheet.reason}; or generate it here: GET /api/tear-sheet?generate=true (the page's tear sheet link does)` : sheet.reason });
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': sheet.html.byteLength,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    });
    res.end(req.method === 'HEAD' ? undefined : sheet.html);
  };

  return (req, res) => {
    handle(req, res).then(
      (route) => metrics.httpRequests.inc({ route, status: String(res.statusCode) }),
      (e: unknown) => {
        if (!res.headersSent) send(res, 500, { error: `internal error: ${(e as Error).message}` });
        else res.destroy();
      },
    );
  };
}

/** What the page's chart and position lines use of a signal (`fields=chart`). */
function chartFields(s: Signal): Partial<Signal> {
  return {
    id: s.id,
    barEnd: s.barEnd,
    action: s.action,
    pUp: s.pUp,
    pFlat: s.pFlat,
    pDown: s.pDown,
    confidence: s.confidence,
    expectedReturn: s.expectedReturn ?? null,
    q10: s.q10 ?? null,
    q50: s.q50 ?? null,
    q90: s.q90 ?? null,
    size: s.size ?? null,
    stop: s.stop ?? null,
    target: s.target ?? null,
    expiresAt: s.expiresAt ?? null,
    contract: s.contract ?? null,
  };
}

/** Drops undefined from/to (exactOptionalPropertyTypes). */
function defined<T extends { from?: number | undefined; to?: number | undefined }>(q: T): Omit<T, 'from' | 'to'> & { from?: number; to?: number } {
  const { from, to, ...rest } = q;
  return { ...rest, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/**
 * A serialized answer. A 200 carries its ETag and `cache-control: no-cache` (a browser keeps it and
 * asks again with If-None-Match): when the client already has these bytes, 304 without a body.
 */
function sendAnswer(req: IncomingMessage, res: ServerResponse, a: Answer): void {
  if (a.status !== 200) {
    res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': a.body.byteLength, 'cache-control': 'no-store', ...a.headers });
    res.end(a.body);
    return;
  }
  if (matchesIfNoneMatch(req.headers['if-none-match'], a.etag)) {
    res.writeHead(304, { etag: a.etag, 'cache-control': 'no-cache' });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': a.body.byteLength, 'cache-control': 'no-cache', etag: a.etag, ...a.headers });
  res.end(a.body);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}
