/**
 * LIVE TRADES FROM A CRYPTO VENUE through ccxt (pro): `tickflow start --source binance:BTCUSDT,ETHUSDT`.
 *
 * - Stream: ccxt.pro `watchTrades` (one per symbol) on Binance's aggregate-trade stream (`<symbol>@aggTrade`).
 *   The aggregate stream is used, not `<symbol>@trade`, because the REST backfill (`fetchTrades`
 *   with `since`, i.e. GET /api/v3/aggTrades?startTime=...) returns aggregate trade ids: dedup by
 *   id only works if both sides number trades the same way (docs/decisions.md).
 * - Every (re)connect first backfills by REST from the time of the last trade taken per symbol,
 *   paging until the REST answer is empty or reaches the present; trades are taken by id only if
 *   id > last id of the symbol, so a trade seen on both sides is logged once.
 * - A stream batch that skips ids (ccxt reopened a dropped socket inside watchTrades, so no
 *   reconnect of ours ran) first asks REST for the hole, as a reconnect does. A hole REST cannot
 *   fill either (id > last + 1 when taken) is a gap: logged and counted, never filled with invented prices.
 *   A trade with id <= last id is dead-lettered: `duplicate` if seen recently, else `out-of-order`.
 *   A trade without a finite positive price/amount, an integer id or a time is dead-lettered `malformed`.
 * - Watchdog: if the stream delivers nothing for `stallMs` (no error, just silence), the connection
 *   is closed and reopened (which backfills).
 * - Every trade taken is appended to the log (FeedAppender with a position) before anything
 *   processes it: the processors read the log, so live == replay. The position (feed-positions
 *   topic, source `binance`) records the last trade id and time per symbol; a restart resumes from
 *   it by content (the trades after the recorded offsets tell how far the last round got).
 * - Symbols keep the venue's spelling (BTCUSDT), in the log, in datasets and in models.
 */
import { Agent } from 'node:http';
import ccxt from 'ccxt';
import { TOPICS, type Trade } from '../../schemas/index.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { FeedAppender, lastPosition, type AppenderPosition } from '../../hosts/live/feed-writer.ts';
import type { TopicDecoder } from '../../hosts/merged-reader.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { TickflowError } from '../../lib/errors.ts';
export { parseSource } from './source-spec.ts';
import { sleep } from '../../lib/sleep.ts';

/** What ccxt gives for one trade (the fields used here). */
interface CcxtTrade {
  id?: string | undefined;
  timestamp?: number | undefined;
  symbol?: string | undefined;
  side?: string | undefined;
  price?: number | undefined;
  amount?: number | undefined;
  info?: unknown;
}

/** The part of a ccxt pro exchange the feed uses (so tests can see what it calls). */
export interface TradeExchange {
  id: string;
  loadMarkets(): Promise<unknown>;
  watchTrades(symbol: string, since?: number, limit?: number, params?: object): Promise<CcxtTrade[]>;
  fetchTrades(symbol: string, since?: number, limit?: number, params?: object): Promise<CcxtTrade[]>;
  close(): Promise<unknown>;
  market(symbol: string): { id: string; symbol: string };
}

/** Binance spot through ccxt.pro, optionally pointed at other URLs (a local server in tests). */
export function binanceExchange(opts: { restUrl?: string; wsUrl?: string } = {}): TradeExchange {
  const ex = new ccxt.pro.binance({ enableRateLimit: true, options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } });
  const urls = ex.urls as unknown as { api: Record<string, unknown> & { ws: Record<string, unknown> } };
  if (opts.restUrl !== undefined) urls.api.public = `${opts.restUrl}/api/v3`;
  if (opts.wsUrl !== undefined) urls.api.ws = { ...urls.api.ws, spot: `${opts.wsUrl}/ws` };
  // ccxt wants an http agent for a plain ws:// URL (its loadHttpProxyAgent() does the same, asynchronously).
  if (opts.wsUrl?.startsWith('ws://') === true) (ex as unknown as { httpAgent: Agent }).httpAgent = new Agent();
  return ex as unknown as TradeExchange;
}

export type DeadLetterReason = 'duplicate' | 'out-of-order' | 'malformed';

export interface TradeFeedStats {
  /** Trades appended to the log, from the stream and from REST backfills. */
  appended: number;
  streamed: number;
  backfilled: number;
  /** Connections opened (the first one included). */
  connects: number;
  /** Reconnects forced by the watchdog (a silent stream). */
  stalls: number;
  /** Stream batches that skipped ids, after which REST was asked for the hole before taking them. */
  holesAskedByRest: number;
  /** Disconnects reported by the stream as errors. */
  errors: number;
  /** Holes in the trade ids: count of holes and of ids missing in them. */
  gaps: number;
  missingIds: number;
  deadLetters: Record<DeadLetterReason, number>;
}

export interface TradeFeedOptions {
  exchange: TradeExchange;
  /** Venue symbols (BTCUSDT); they are the symbols in the log. */
  symbols: readonly string[];
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: TopicDecoder;
  /** The feed's name on the feed-positions topic. Default: the exchange id. */
  source?: string;
  /** Silence on the stream after which it is reopened (ms). Default 30,000. */
  stallMs?: number;
  /** Wait before reopening after an error (ms), doubled per failure up to 30 s. Default 1,000. */
  reconnectMs?: number;
  /** Receive time (epoch ms); default Date.now. */
  now?: () => number;
  logger?: Logger;
  /**
   * After each batch is durably in the log: its trades and its bound (the largest tsInit in it;
   * every later batch has larger tsInits, so the log may be drained up to it).
   */
  onAppended?: (trades: readonly Trade[], bound: number) => void | Promise<void>;
}

/** Per symbol: the last trade taken (id and time) — the feed's position. */
export type TradeIds = Record<string, { id: number; ts: number }>;

interface FeedState {
  last: TradeIds;
  /** The largest tsInit appended before the round. */
  tsInit: number;
}

/** How many recent ids per symbol are remembered to tell a duplicate from an out-of-order trade. */
const RECENT_IDS = 4096;
const REST_PAGE = 1000;

export class CcxtTradeFeed {
  readonly stats: TradeFeedStats = { appended: 0, streamed: 0, backfilled: 0, connects: 0, stalls: 0, holesAskedByRest: 0, errors: 0, gaps: 0, missingIds: 0, deadLetters: { duplicate: 0, 'out-of-order': 0, malformed: 0 } };
  private readonly last: TradeIds = {};
  private readonly recent = new Map<string, Set<number>>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly source: string;
  private appender: FeedAppender | null = null;
  /** The largest tsInit appended so far. */
  private lastTsInit = Number.NEGATIVE_INFINITY;
  private position: AppenderPosition | null = null;
  /** ccxt symbol (BTC/USDT) → venue symbol (BTCUSDT). */
  private readonly venueOf = new Map<string, string>();

  constructor(private readonly opts: TradeFeedOptions) {
    this.logger = opts.logger ?? silentLogger();
    this.now = opts.now ?? Date.now;
    this.source = opts.source ?? opts.exchange.id;
    // ccxt's stream clients write their notes (e.g. a frame that is not JSON) with exchange.log,
    // console.log by default: that is tickflow's stdout, which carries the CLI's JSON result.
    (opts.exchange as { log?: (...args: unknown[]) => void }).log = (...args: unknown[]): void => this.logger.warn({ event: 'venue-client', source: this.source }, args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  }

  /** The last trade taken per symbol. */
  lastIds(): TradeIds {
    return structuredClone(this.last);
  }

  /** Reads the feed's position back from the log (resume by content); returns it. */
  async resume(): Promise<TradeIds> {
    const pos = await lastPosition(this.opts.log, this.opts.decode, this.source);
    if (pos !== null && pos.feed !== '') {
      const state = JSON.parse(pos.feed) as FeedState;
      Object.assign(this.last, state.last);
      this.lastTsInit = Math.max(this.lastTsInit, state.tsInit ?? Number.NEGATIVE_INFINITY);
      // The recorded state is the one before its round; the round's trades that reached the log
      // (after the recorded offsets) move it on.
      for (const end of pos.ends) {
        if (end.topic !== TOPICS.trades.name) continue;
        for await (const batch of this.opts.log.read(end.topic, end.partition, { fromOffset: end.offset })) {
          for (const r of batch) {
            const t = this.opts.decode(end.topic, r.value) as Trade;
            if (!this.opts.symbols.includes(t.symbol)) continue;
            this.lastTsInit = Math.max(this.lastTsInit, t.tsInit);
            const cur = this.last[t.symbol];
            if (cur === undefined || t.tradeId > cur.id) this.last[t.symbol] = { id: t.tradeId, ts: t.tsEvent };
          }
        }
      }
      this.logger.info({ event: 'feed-resume', source: this.source, by: 'position', last: this.last }, `${this.source}: resuming after trade ids ${Object.entries(this.last).map(([s, l]) => `${s} ${l.id}`).join(', ')}`);
    }
    return this.lastIds();
  }

  /** Runs until `signal` aborts: connect, backfill, stream; reconnect on error or silence. */
  async run(signal: AbortSignal): Promise<TradeFeedStats> {
    const ex = this.opts.exchange;
    await ex.loadMarkets();
    const unified = this.opts.symbols.map((s) => {
      const m = marketOf(ex, s);
      this.venueOf.set(m.symbol, s);
      return m.symbol;
    });
    this.position = { source: this.source, feed: '', from: 0, ends: new Map() };
    this.appender = new FeedAppender(this.opts.log, this.opts.encode, this.position);
    let failures = 0;
    const base = this.opts.reconnectMs ?? 1000;
    while (!signal.aborted) {
      this.stats.connects++;
      try {
        for (const s of unified) await this.backfill(s);
        failures = 0;
        await this.stream(unified, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.stats.errors++;
        failures++;
        this.logger.warn({ event: 'feed-disconnect', source: this.source, err: String(err) }, `${this.source}: ${String(err)}; reconnecting`);
        await ex.close().catch(() => undefined);
        await sleep(Math.min(30_000, base * 2 ** (failures - 1)), signal);
      }
    }
    // A hard close of the stream sockets (ccxt's close() is a close handshake that can leave them open).
    for (const c of Object.values((ex as { clients?: Record<string, { connection?: { terminate?: () => void } }> }).clients ?? {})) c.connection?.terminate?.();
    await ex.close().catch(() => undefined);
    // ccxt keeps idle REST sockets alive for 60 s in its shared undici agent: release them, or a
    // stopped CLI would wait for them before exiting.
    await (ex as { fetchDispatcher?: { destroy(): Promise<void> } }).fetchDispatcher?.destroy().catch(() => undefined);
    return this.stats;
  }

  /**
   * Streams every symbol (one watchTrades each, so one symbol's burst never hides another's) until
   * a symbol's watchdog fires (returns, after closing the connections) or an error (throws).
   */
  private async stream(unified: string[], signal: AbortSignal): Promise<void> {
    const ex = this.opts.exchange;
    const stallMs = this.opts.stallMs ?? 30_000;
    const round = new AbortController();
    const stop = (): void => round.abort();
    signal.addEventListener('abort', stop, { once: true });
    const ended = new Promise<'end'>((resolve) => round.signal.addEventListener('abort', () => resolve('end'), { once: true }));
    let stalled = false;
    const loop = async (symbol: string): Promise<void> => {
      while (!round.signal.aborted) {
        const watch = ex.watchTrades(symbol, undefined, undefined, { name: 'aggTrade' });
        watch.catch(() => undefined); // settled below, or abandoned once the round ends
        let timer: NodeJS.Timeout | undefined;
        const silence = new Promise<'stall'>((resolve) => (timer = setTimeout(() => resolve('stall'), stallMs)));
        let got: CcxtTrade[] | 'stall' | 'end';
        try {
          got = await Promise.race([watch, silence, ended]);
        } catch (err) {
          if (round.signal.aborted) return;
          round.abort();
          throw err;
        } finally {
          clearTimeout(timer);
        }
        if (got === 'end') return;
        if (got === 'stall') {
          if (round.signal.aborted) return;
          stalled = true;
          this.stats.stalls++;
          this.logger.warn({ event: 'feed-stall', source: this.source, symbol: this.venueOf.get(symbol), silentMs: stallMs }, `${this.source}: no ${this.venueOf.get(symbol)} message for ${stallMs} ms; reconnecting`);
          round.abort();
          return;
        }
        await this.fillHole(symbol, got);
        await this.take(got, 'stream');
      }
    };
    try {
      const results = await Promise.allSettled(unified.map(loop));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      if (stalled) await ex.close();
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  /**
   * A stream batch that skips ids after the last trade taken: the stream missed messages
   * without the feed seeing a disconnect (ccxt reopens a dropped socket by itself inside
   * watchTrades, so no backfill ran). The venue's REST history is asked first, as on a reconnect:
   * what it holds fills the hole (the batch's trades then come twice and are dead-lettered
   * `duplicate`); what it does not hold stays a gap, reported when the batch is taken.
   */
  private async fillHole(unified: string, batch: readonly CcxtTrade[]): Promise<void> {
    const venue = this.venueOf.get(unified);
    const last = venue === undefined ? undefined : this.last[venue];
    if (last === undefined) return;
    // Walk the batch as takeNow will (ids at or below the last are dropped there, not holes).
    let prev = last.id;
    let hole = false;
    for (const t of batch) {
      const id = Number(t.id);
      if (!Number.isSafeInteger(id) || id <= prev) continue;
      if (id > prev + 1) {
        hole = true;
        break;
      }
      prev = id;
    }
    if (!hole) return;
    this.stats.holesAskedByRest++;
    await this.backfill(unified);
  }

  /** REST pages of trades since the last one taken, until an empty or short page. */
  private async backfill(unified: string): Promise<void> {
    const venue = this.venueOf.get(unified)!;
    for (;;) {
      const last = this.last[venue];
      if (last === undefined) return; // a first start has nothing to backfill: it begins with the stream
      const page = await this.opts.exchange.fetchTrades(unified, last.ts, REST_PAGE);
      const before = this.stats.backfilled;
      await this.take(page, 'rest');
      const taken = this.stats.backfilled - before;
      if (taken > 0) this.logger.info({ event: 'feed-backfill', source: this.source, symbol: venue, trades: taken }, `${this.source}: backfilled ${taken} ${venue} trades by REST`);
      if (page.length < REST_PAGE || taken === 0) return;
    }
  }

  private takes: Promise<void> = Promise.resolve();

  /** Checks, dedups and appends a batch (durably, before anything processes it); one batch at a time. */
  private take(batch: readonly CcxtTrade[], via: 'stream' | 'rest'): Promise<void> {
    const next = this.takes.then(() => this.takeNow(batch, via));
    this.takes = next.catch(() => undefined);
    return next;
  }

  private async takeNow(batch: readonly CcxtTrade[], via: 'stream' | 'rest'): Promise<void> {
    const appender = this.appender!;
    const taken: Trade[] = [];
    const recv = Math.max(this.now(), this.lastTsInit + 1);
    let bound = Number.NEGATIVE_INFINITY;
    const stateBefore = JSON.stringify({ last: this.last, tsInit: this.lastTsInit } satisfies FeedState);
    // REST pages are in id order; a stream batch is taken in arrival order (a reordering is an error of the stream).
    const ordered = via === 'rest' ? [...batch].sort((a, b) => Number(a.id) - Number(b.id)) : batch;
    for (const raw of ordered) {
      const venue = raw.symbol !== undefined ? this.venueOf.get(raw.symbol) : undefined;
      const id = Number(raw.id);
      const ok = venue !== undefined && raw.id !== undefined && Number.isSafeInteger(id) && id >= 0 && isPositive(raw.price) && isPositive(raw.amount) && Number.isSafeInteger(raw.timestamp) && (raw.side === 'buy' || raw.side === 'sell');
      if (!ok) {
        this.deadLetter('malformed', venue ?? String(raw.symbol), raw);
        continue;
      }
      const last = this.last[venue];
      const recent = this.recentOf(venue);
      if (last !== undefined && id <= last.id) {
        // The REST overlap (trades at the same millisecond as the last one) is expected, not a dead letter.
        if (via === 'rest') continue;
        this.deadLetter(recent.has(id) ? 'duplicate' : 'out-of-order', venue, raw);
        continue;
      }
      if (last !== undefined && id > last.id + 1) {
        this.stats.gaps++;
        this.stats.missingIds += id - last.id - 1;
        this.logger.warn({ event: 'feed-gap', source: this.source, symbol: venue, afterId: last.id, nextId: id, missing: id - last.id - 1, via }, `${this.source}: gap in ${venue}: ${id - last.id - 1} trade ids missing after ${last.id} (not filled)`);
      }
      const ts = raw.timestamp!;
      // Receive time, strictly later than any earlier batch's (see onAppended), never before the trade.
      const tsInit = Math.max(ts, recv);
      bound = Math.max(bound, tsInit);
      const trade: Trade = { tsEvent: ts, tsInit, symbol: venue, price: raw.price!, size: raw.amount!, side: raw.side === 'buy' ? 'BUY' : 'SELL', tradeId: id };
      this.last[venue] = { id, ts };
      recent.add(id);
      if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value!);
      taken.push(trade);
      appender.add({ topic: TOPICS.trades.name, key: venue, value: trade });
    }
    if (taken.length === 0) return;
    // The position recorded with the round is the state before it (resume() moves it on by content).
    this.position!.feed = stateBefore;
    await appender.flush();
    this.lastTsInit = bound;
    this.stats.appended += taken.length;
    if (via === 'rest') this.stats.backfilled += taken.length;
    else this.stats.streamed += taken.length;
    await this.opts.onAppended?.(taken, bound);
  }

  private recentOf(venue: string): Set<number> {
    let s = this.recent.get(venue);
    if (s === undefined) this.recent.set(venue, (s = new Set()));
    return s;
  }

  private deadLetter(reason: DeadLetterReason, symbol: string, raw: CcxtTrade): void {
    this.stats.deadLetters[reason]++;
    this.logger.warn({ event: 'feed-dead-letter', source: this.source, reason, symbol, id: raw.id }, `${this.source}: ${reason} trade ${symbol} ${String(raw.id)} dropped`);
  }
}

function isPositive(x: number | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

function marketOf(ex: TradeExchange, venueSymbol: string): { id: string; symbol: string } {
  const markets = (ex as unknown as { markets_by_id?: Record<string, { id: string; symbol: string }[]> }).markets_by_id ?? {};
  const m = markets[venueSymbol]?.[0];
  if (m === undefined) throw new TickflowError(`--source: ${ex.id} has no spot market ${venueSymbol}`);
  return m;
}
