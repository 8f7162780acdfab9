/**
 * LIVE OPTION CHAINS FROM NSE: `tickflow start --source nse:NIFTY,BANKNIFTY`.
 *
 * - Polls NSE's public option-chain endpoint, GET <base>/api/option-chain-indices?symbol=NIFTY, every
 *   `pollMs` per underlying, only in NSE session hours (processors/calendar `nse`, 09:15-15:30
 *   Asia/Kolkata on weekdays). Outside them it logs `feed-closed` and sleeps until the next open.
 * - Cookie handshake: NSE answers the API with 401/403 to a client without the cookies its pages
 *   set. The feed first GETs <base>/option-chain with browser-like headers, keeps the Set-Cookie
 *   name=value pairs, and sends them (with the same headers) on every API call; a 401/403 redoes
 *   the handshake once before counting the call as failed.
 * - Failures (network errors, dropped connections, 5xx, a second 401/403, no answer within
 *   `requestTimeoutMs`) are retried with
 *   exponential backoff and jitter (lib/retry.ts) and counted; the poll never crashes the feed.
 * - Each answer is checked: a body that is not JSON, or lacks `records.timestamp`, `records.data[]`
 *   or a positive `records.underlyingValue`, is dead-lettered `malformed` with a reason. A payload
 *   whose timestamp is older than the last one taken is dead-lettered `out-of-order`.
 * - Staleness: a payload whose `records.timestamp` equals the last one taken is not appended
 *   (`unchanged`); after `staleAfterPolls` such polls in a row, a `feed-stale` event is logged and
 *   counted. A payload older than `maxAgeMs` at receipt is dead-lettered `stale`. A newer timestamp
 *   with the same spot and contracts as the last snapshot is dead-lettered `duplicate` (dedupe).
 * - Every accepted payload becomes one OptionChainSnapshot (schemas/option-chain-snapshot.ts):
 *   tsEvent = records.timestamp read in Asia/Kolkata, tsInit = receive time (strictly increasing,
 *   never before tsEvent), spot = records.underlyingValue, one contract per CE/PE leg (expiry at the
 *   session close of its date, as the chain importer reads a date-only expiry; IV from percent to a
 *   fraction; NSE's 0 for a missing quote/IV → null). It is appended to the log (FeedAppender with
 *   a position, source `nse`) before anything processes it: the processors read the log, so
 *   live == replay.
 * - Restart: the last snapshot time per underlying is read back from the log's options topic
 *   (resume by content), so a restart neither re-appends nor goes back in time.
 */
import { createHash } from 'node:crypto';
import { CALENDARS, isInSession, sessionCloseOn, sessionOpen, zonedToUtc, type SessionCalendar } from '../../processors/calendar/index.ts';
import { TOPICS, type OptionChainSnapshot, type OptionContract } from '../../schemas/index.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { FeedAppender, type AppenderPosition } from '../../hosts/live/feed-writer.ts';
import type { TopicDecoder } from '../../hosts/merged-reader.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { TickflowError } from '../../lib/errors.ts';
import { retry, type BackoffOptions } from '../../lib/retry.ts';
import { sleep } from '../../lib/sleep.ts';

export const NSE_BASE_URL = 'https://www.nseindia.com';

/** Headers a browser sends; NSE refuses clients that look like scripts. */
const BROWSER_HEADERS: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-language': 'en-US,en;q=0.9',
  referer: `${NSE_BASE_URL}/option-chain`,
};

export type NseDeadLetterReason = 'malformed' | 'out-of-order' | 'stale' | 'duplicate';

export interface NseFeedStats {
  /** Snapshots appended to the log. */
  appended: number;
  /** API calls answered with a payload (whatever became of it). */
  polls: number;
  /** Cookie handshakes done (the first included). */
  handshakes: number;
  /** Failed calls (network, 5xx, refused after a fresh handshake), each retried with backoff. */
  errors: number;
  /** Polls whose records.timestamp equalled the last one taken (not appended). */
  unchanged: number;
  /** Times an underlying stayed unchanged for staleAfterPolls polls in a row. */
  staleEvents: number;
  /** Times the feed slept because the session was closed. */
  closedWaits: number;
  deadLetters: Record<NseDeadLetterReason, number>;
}

export interface NseFeedOptions {
  /** Index symbols (NIFTY, BANKNIFTY); they are the underlyings in the log. */
  symbols: readonly string[];
  log: EventLog;
  encode: (topic: string, value: object) => Uint8Array;
  decode: TopicDecoder;
  /** Base URL of the venue (default NSE's); tests point it at a local server. */
  baseUrl?: string;
  /** The feed's name on the feed-positions topic. Default `nse`. */
  source?: string;
  /** Time between polls of one underlying (ms). Default 60,000. */
  pollMs?: number;
  /** Unchanged polls in a row after which the feed reports the underlying stale. Default 5. */
  staleAfterPolls?: number;
  /** A payload older than this at receipt is dead-lettered stale (ms). Default 15 minutes. */
  maxAgeMs?: number;
  /** Backoff of failed calls. Default 1 s doubling to 60 s, jitter 0.2. */
  backoff?: BackoffOptions;
  /** The session calendar that decides when to poll (only that: payload times are India time). Default NSE's. */
  calendar?: SessionCalendar;
  /** Wall clock (epoch ms); default Date.now. Tests pass a fixed or stepped one. */
  now?: () => number;
  /** Waits (ms) between polls and until the open; default lib/sleep. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source for the backoff; default Math.random. */
  random?: () => number;
  /** A call (headers and body) that takes longer than this fails and is retried (ms). Default 30,000. */
  requestTimeoutMs?: number;
  /** The HTTP client; default global fetch. */
  fetch?: typeof fetch;
  logger?: Logger;
  /** After each snapshot is durably in the log: the snapshot and its tsInit (later snapshots have larger ones). */
  onAppended?: (snapshot: OptionChainSnapshot, bound: number) => void | Promise<void>;
}

/** An answer that is not a usable payload; `reason` says why. */
export class MalformedPayload extends Error {}

/** A failed call to the venue (retried with backoff). */
class CallFailed extends Error {
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
  }
}

interface NseLeg {
  openInterest?: unknown;
  totalTradedVolume?: unknown;
  impliedVolatility?: unknown;
  lastPrice?: unknown;
  bidprice?: unknown;
  askPrice?: unknown;
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

/**
 * NSE's "18-Aug-2026 10:43:00" (India time) or "18-Aug-2026" (the session close that day) → epoch
 * ms; null if not that shape. Always read on NSE's calendar, whatever calendar decides when to poll.
 */
export function parseNseTime(text: unknown, cal: SessionCalendar = CALENDARS.nse): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (m === null) return null;
  const month = MONTHS[m[2]!.toLowerCase()];
  const day = Number(m[1]);
  const year = Number(m[3]);
  if (month === undefined || day < 1 || day > 31) return null;
  if (m[4] === undefined) return sessionCloseOn(cal, year, month, day);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6] ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return null;
  return zonedToUtc(year, month, day, hour, minute, second, 0, cal.zone);
}

/** A number NSE sends (sometimes as a string); NaN when it is none. */
function numberOf(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '' && x.trim() !== '-') return Number(x);
  return Number.NaN;
}

/** A quote or IV: NSE sends 0 (or '-') when there is none. */
function quote(x: unknown): number | null {
  const v = numberOf(x);
  return Number.isFinite(v) && v > 0 ? v : null;
}

function count(x: unknown): number {
  const v = numberOf(x);
  return Number.isFinite(v) && v >= 0 ? v : 0;
}

/**
 * One NSE option-chain payload → an OptionChainSnapshot (tsInit left 0 for the caller).
 * Throws MalformedPayload with the reason when the payload cannot be one.
 */
export function snapshotFromPayload(body: unknown, underlying: string, cal: SessionCalendar = CALENDARS.nse): OptionChainSnapshot {
  if (typeof body !== 'object' || body === null) throw new MalformedPayload('not a JSON object');
  const records = (body as { records?: unknown }).records;
  if (typeof records !== 'object' || records === null) throw new MalformedPayload('no records object');
  const r = records as { timestamp?: unknown; data?: unknown; underlyingValue?: unknown };
  const tsEvent = parseNseTime(r.timestamp, cal);
  if (tsEvent === null) throw new MalformedPayload(`records.timestamp ${JSON.stringify(r.timestamp)} is not DD-Mon-YYYY HH:MM:SS`);
  const spot = numberOf(r.underlyingValue);
  if (!(Number.isFinite(spot) && spot > 0)) throw new MalformedPayload(`records.underlyingValue ${JSON.stringify(r.underlyingValue)} is not a positive number`);
  if (!Array.isArray(r.data)) throw new MalformedPayload('records.data is not an array');
  const contracts: OptionContract[] = [];
  for (const row of r.data as unknown[]) {
    if (typeof row !== 'object' || row === null) throw new MalformedPayload('a records.data row is not an object');
    const x = row as { strikePrice?: unknown; expiryDate?: unknown; CE?: NseLeg; PE?: NseLeg };
    const strike = numberOf(x.strikePrice);
    const expiry = parseNseTime(x.expiryDate, cal);
    if (!(Number.isFinite(strike) && strike > 0) || expiry === null) throw new MalformedPayload(`a records.data row has strikePrice ${JSON.stringify(x.strikePrice)} expiryDate ${JSON.stringify(x.expiryDate)}`);
    for (const [right, leg] of [['C', x.CE], ['P', x.PE]] as const) {
      if (leg === undefined || leg === null) continue;
      if (typeof leg !== 'object') throw new MalformedPayload(`strike ${strike}: ${right === 'C' ? 'CE' : 'PE'} leg is not an object`);
      const iv = quote(leg.impliedVolatility);
      contracts.push({
        expiry,
        strike,
        right,
        bid: quote(leg.bidprice),
        ask: quote(leg.askPrice),
        last: quote(leg.lastPrice),
        iv: iv === null ? null : iv / 100,
        delta: null,
        gamma: null,
        openInterest: count(leg.openInterest),
        volume: count(leg.totalTradedVolume),
      });
    }
  }
  if (contracts.length === 0) throw new MalformedPayload('records.data holds no CE/PE leg');
  // One order whatever the venue's: expiry, strike, right.
  contracts.sort((a, b) => a.expiry - b.expiry || a.strike - b.strike || (a.right < b.right ? -1 : a.right > b.right ? 1 : 0));
  return { tsEvent, tsInit: 0, underlying, spot, contracts };
}

/** Fingerprint of a snapshot's market content (spot and contracts, not its times). */
function fingerprint(s: OptionChainSnapshot): string {
  return createHash('sha256').update(JSON.stringify([s.spot, s.contracts])).digest('hex');
}

interface SymbolState {
  /** tsEvent of the last snapshot taken. */
  lastTs: number;
  fingerprint: string | null;
  unchangedRun: number;
}

export class NseChainFeed {
  readonly stats: NseFeedStats = { appended: 0, polls: 0, handshakes: 0, errors: 0, unchanged: 0, staleEvents: 0, closedWaits: 0, deadLetters: { malformed: 0, 'out-of-order': 0, stale: 0, duplicate: 0 } };
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly fetch: typeof fetch;
  private readonly base: string;
  private readonly source: string;
  private readonly cal: SessionCalendar;
  private readonly state = new Map<string, SymbolState>();
  private cookies = new Map<string, string>();
  private readonly appender: FeedAppender;
  private lastTsInit = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: NseFeedOptions) {
    this.logger = opts.logger ?? silentLogger();
    this.now = opts.now ?? Date.now;
    this.wait = opts.sleep ?? sleep;
    this.fetch = opts.fetch ?? fetch;
    this.base = (opts.baseUrl ?? NSE_BASE_URL).replace(/\/+$/, '');
    this.source = opts.source ?? 'nse';
    this.cal = opts.calendar ?? CALENDARS.nse;
    const position: AppenderPosition = { source: this.source, feed: '', from: 0, ends: new Map() };
    this.appender = new FeedAppender(opts.log, opts.encode, position);
    for (const s of opts.symbols) this.state.set(s, { lastTs: Number.NEGATIVE_INFINITY, fingerprint: null, unchangedRun: 0 });
  }

  /** Reads back, from the log's options topic, the last snapshot of each underlying (resume by content). */
  async resume(): Promise<Record<string, number>> {
    const topic = TOPICS.options.name;
    const parts = await this.opts.log.partitions(topic);
    for (let p = 0; p < parts; p++) {
      for await (const batch of this.opts.log.read(topic, p, { fromOffset: 0 })) {
        for (const r of batch) {
          const s = this.opts.decode(topic, r.value) as OptionChainSnapshot;
          this.lastTsInit = Math.max(this.lastTsInit, s.tsInit);
          const st = this.state.get(s.underlying);
          if (st === undefined || s.tsEvent < st.lastTs) continue;
          st.lastTs = s.tsEvent;
          st.fingerprint = fingerprint(s);
        }
      }
    }
    const last = Object.fromEntries([...this.state].filter(([, s]) => Number.isFinite(s.lastTs)).map(([k, s]) => [k, s.lastTs]));
    if (Object.keys(last).length > 0) this.logger.info({ event: 'feed-resume', source: this.source, by: 'content', last }, `${this.source}: resuming after the logged snapshots of ${Object.keys(last).join(', ')}`);
    return last;
  }

  /** Polls until `signal` aborts; returns the counters. */
  async run(signal: AbortSignal): Promise<NseFeedStats> {
    const pollMs = this.opts.pollMs ?? 60_000;
    while (!signal.aborted) {
      const t = this.now();
      if (!isInSession(this.cal, t)) {
        const open = nextOpen(this.cal, t);
        this.stats.closedWaits++;
        this.logger.info({ event: 'feed-closed', source: this.source, until: open }, `${this.source}: the ${this.cal.name} session is closed; next poll at the open, ${new Date(open).toISOString()}`);
        await this.wait(Math.max(1, open - t), signal);
        continue;
      }
      for (const symbol of this.opts.symbols) {
        if (signal.aborted) break;
        try {
          await this.pollOnce(symbol, signal);
        } catch (err) {
          if (signal.aborted) break;
          throw err;
        }
      }
      if (!signal.aborted) await this.wait(pollMs, signal);
    }
    return this.stats;
  }

  /** One poll of one underlying, retried with backoff until it gets an answer (or the signal aborts). */
  async pollOnce(symbol: string, signal: AbortSignal): Promise<void> {
    let body: string;
    try {
      body = await retry(() => this.call(symbol, signal), {
        retriable: () => !signal.aborted, // every failure of a call may go away: network, 5xx, a refused handshake
        backoff: this.opts.backoff ?? { initialMs: 1000, maxMs: 60_000, jitter: 0.2 },
        signal,
        ...(this.opts.random ? { random: this.opts.random } : {}),
        onRetry: (err, attempt, waitMs) => {
          this.stats.errors++;
          this.logger.warn({ event: 'feed-retry', source: this.source, symbol, attempt, waitMs, err: String(err) }, `${this.source}: ${symbol} poll failed (${String(err)}); retry ${attempt} in ${waitMs} ms`);
        },
      });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const recv = this.now();
    this.stats.polls++;
    await this.take(symbol, body, recv);
  }

  /** GETs the API once (after a handshake if there are no cookies; one fresh handshake on 401/403). */
  private async call(symbol: string, signal: AbortSignal): Promise<string> {
    if (this.cookies.size === 0) await this.handshake(signal);
    let res = await this.get(`/api/option-chain-indices?symbol=${encodeURIComponent(symbol)}`, signal);
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      this.logger.info({ event: 'feed-handshake', source: this.source, status: res.status }, `${this.source}: ${res.status} from the API; redoing the cookie handshake`);
      this.cookies.clear();
      await this.handshake(signal);
      res = await this.get(`/api/option-chain-indices?symbol=${encodeURIComponent(symbol)}`, signal);
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        this.cookies.clear();
        throw new CallFailed(`HTTP ${res.status} after a fresh cookie handshake`, true);
      }
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new CallFailed(`HTTP ${res.status}`);
    }
    return await res.text(); // under the call's deadline too (a body that stops mid-way)
  }

  /** GET the option-chain page to receive NSE's cookies. */
  private async handshake(signal: AbortSignal): Promise<void> {
    const res = await this.get('/option-chain', signal);
    await res.body?.cancel();
    if (!res.ok) throw new CallFailed(`cookie handshake: HTTP ${res.status}`);
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    this.stats.handshakes++;
  }

  private async get(path: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { ...BROWSER_HEADERS, referer: `${this.base}/option-chain` };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    // A venue that accepts the connection and never answers must not hold the feed: each call has a deadline.
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000)]);
    return await this.fetch(`${this.base}${path}`, { headers, signal: deadline, redirect: 'manual' });
  }

  private takes: Promise<void> = Promise.resolve();

  /** Checks one answer and appends it (durably, before anything processes it); one at a time. */
  take(symbol: string, body: string, recv: number): Promise<void> {
    const next = this.takes.then(() => this.takeNow(symbol, body, recv));
    this.takes = next.catch(() => undefined);
    return next;
  }

  private async takeNow(symbol: string, body: string, recv: number): Promise<void> {
    const st = this.state.get(symbol)!;
    let snap: OptionChainSnapshot;
    try {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch (e) {
        throw new MalformedPayload(`not JSON (${(e as Error).message})`);
      }
      snap = snapshotFromPayload(json, symbol);
    } catch (e) {
      if (!(e instanceof MalformedPayload)) throw e;
      this.deadLetter('malformed', symbol, e.message, null);
      return;
    }
    if (snap.tsEvent === st.lastTs) {
      this.stats.unchanged++;
      st.unchangedRun++;
      const k = this.opts.staleAfterPolls ?? 5;
      if (st.unchangedRun === k) {
        this.stats.staleEvents++;
        this.logger.warn({ event: 'feed-stale', source: this.source, symbol, polls: k, tsEvent: snap.tsEvent }, `${this.source}: ${symbol} unchanged for ${k} polls (records.timestamp ${new Date(snap.tsEvent).toISOString()})`);
      }
      return;
    }
    if (snap.tsEvent < st.lastTs) {
      this.deadLetter('out-of-order', symbol, `records.timestamp ${new Date(snap.tsEvent).toISOString()} is before the last taken, ${new Date(st.lastTs).toISOString()}`, snap.tsEvent);
      return;
    }
    const maxAge = this.opts.maxAgeMs ?? 15 * 60_000;
    if (recv - snap.tsEvent > maxAge) {
      this.deadLetter('stale', symbol, `records.timestamp ${new Date(snap.tsEvent).toISOString()} is ${Math.round((recv - snap.tsEvent) / 1000)} s old at receipt (bound ${maxAge / 1000} s)`, snap.tsEvent);
      return;
    }
    st.unchangedRun = 0;
    const fp = fingerprint(snap);
    if (fp === st.fingerprint) {
      // Time moved, the market did not: nothing new to append (and later polls compare against it).
      st.lastTs = snap.tsEvent;
      this.deadLetter('duplicate', symbol, 'same spot and contracts as the last snapshot', snap.tsEvent);
      return;
    }
    // Receive time, strictly later than any earlier snapshot's, never before the snapshot itself.
    snap.tsInit = Math.max(recv, snap.tsEvent, this.lastTsInit + 1);
    this.appender.add({ topic: TOPICS.options.name, key: symbol, value: snap });
    await this.appender.flush();
    this.lastTsInit = snap.tsInit;
    st.lastTs = snap.tsEvent;
    st.fingerprint = fp;
    this.stats.appended++;
    this.logger.debug({ event: 'feed-snapshot', source: this.source, symbol, tsEvent: snap.tsEvent, contracts: snap.contracts.length, spot: snap.spot }, `${this.source}: ${symbol} snapshot appended`);
    await this.opts.onAppended?.(snap, snap.tsInit);
  }

  private deadLetter(reason: NseDeadLetterReason, symbol: string, detail: string, tsEvent: number | null): void {
    this.stats.deadLetters[reason]++;
    this.logger.warn({ event: 'feed-dead-letter', source: this.source, reason, symbol, tsEvent, detail }, `${this.source}: ${reason} ${symbol} payload dropped: ${detail}`);
  }
}

/** The next session open strictly after `t` (looks up to two weeks ahead). */
export function nextOpen(cal: SessionCalendar, t: number): number {
  const DAY = 86_400_000;
  for (let d = 0; d <= 14; d++) {
    const open = sessionOpen(cal, t + d * DAY);
    if (open !== null && open > t) return open;
  }
  throw new TickflowError(`calendar ${cal.name}: no session within two weeks of ${new Date(t).toISOString()}`);
}
