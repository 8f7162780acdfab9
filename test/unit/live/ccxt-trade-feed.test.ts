/**
 * The live Binance feed (sources/exchange/ccxt-trade-feed.ts) through ccxt's real code against a
 * local server that speaks Binance's REST and WebSocket protocol (test/helpers/fake-binance.ts; no
 * network here, so the venue is the one part that is a stand-in). The expected log is the
 * server's own tape: every trade of it once, in id order per symbol, none invented.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeBinance, tape, type RecordedTrade } from '../../helpers/fake-binance.ts';
import { MemoryLog } from '../../helpers/memory-log.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { binanceExchange, CcxtTradeFeed, parseSource, type TradeFeedStats } from '../../../sources/exchange/ccxt-trade-feed.ts';
import type { Trade } from '../../../schemas/index.ts';

const json = (_topic: string, value: object): Uint8Array => Buffer.from(JSON.stringify(value));
const decode = (_topic: string, bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString());
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

/** The trades in the log, per symbol, in log order. */
function logged(log: MemoryLog): Map<string, Trade[]> {
  const out = new Map<string, Trade[]>();
  for (const r of (log.parts.get('trades') ?? []).flat()) {
    const t = decode('trades', r.value) as Trade;
    if (!out.has(t.symbol)) out.set(t.symbol, []);
    out.get(t.symbol)!.push(t);
  }
  return out;
}
/** What the log must hold for these tape trades (venue symbol, price, size, taker side, id, time). */
function expected(trades: readonly RecordedTrade[], symbol: string): object[] {
  return trades.filter((t) => t.symbol === symbol).sort((a, b) => a.a - b.a).map((t) => ({ tsEvent: t.T, symbol, price: Number(t.p), size: Number(t.q), side: t.m ? 'SELL' : 'BUY', tradeId: t.a }));
}
const strip = (ts: readonly Trade[] | undefined): object[] => (ts ?? []).map(({ tsInit: _i, ...rest }) => rest);

function newFeed(fake: FakeBinance, log: MemoryLog, extra: { stallMs?: number } = {}): CcxtTradeFeed {
  return new CcxtTradeFeed({ exchange: binanceExchange({ restUrl: fake.restUrl, wsUrl: fake.wsUrl }), symbols: SYMBOLS, log, encode: json, decode, reconnectMs: 10, stallMs: extra.stallMs ?? 60_000, now: () => 1_767_225_600_000 });
}

describe('parseSource (--source)', () => {
  test('synthetic, a venue with symbols, and each kind of mistake', () => {
    assert.deepEqual(parseSource('synthetic'), { venue: 'synthetic' });
    assert.deepEqual(parseSource('binance:BTCUSDT,ETHUSDT'), { venue: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'] });
    assert.throws(() => parseSource('binance'), /expected synthetic or <venue>:<SYMBOL>/);
    assert.throws(() => parseSource('kraken:BTCUSD'), /unknown venue kraken/);
    assert.throws(() => parseSource('binance:btc-usdt'), /bad symbol 'btc-usdt'/);
    assert.throws(() => parseSource('binance:BTCUSDT,BTCUSDT'), /listed twice/);
  });
});

describe('CcxtTradeFeed against a local Binance', () => {
  let fake: FakeBinance;
  /** Every feed's stop: a test that fails before stopping its feed must not leave it reconnecting forever. */
  const stops: AbortController[] = [];
  const newStop = (): AbortController => {
    const c = new AbortController();
    stops.push(c);
    return c;
  };
  before(async () => {
    fake = new FakeBinance();
    await fake.start();
  });
  after(async () => {
    for (const c of stops) c.abort();
    await fake.stop();
  });

  test('disconnect mid-stream → reconnect → the trades in between are backfilled once; stream duplicates are dead-lettered; a restart resumes by trade id', async () => {
    fake.trades.length = 0;
    fake.subscriptions.length = 0;
    const all = tape(SYMBOLS, 60);
    const upTo = (n: number): RecordedTrade[] => all.filter((t) => t.a < 1000 + n);
    const byId = (lo: number, hi: number): RecordedTrade[] => all.filter((t) => t.a >= 1000 + lo && t.a < 1000 + hi);
    const log = new MemoryLog();
    const feed = newFeed(fake, log);
    const stop = newStop();
    const running = feed.run(stop.signal);
    fake.trades.push(...upTo(20));
    await waitFor('first subscription', () => fake.subscriptions.length === 2);
    for (const t of byId(0, 20)) fake.send(t);
    await waitFor(() => `20 trades per symbol streamed (have ${feed.stats.streamed})`, () => feed.stats.streamed === 40);
    assert.equal(feed.stats.backfilled, 0, 'a first start has nothing to backfill');

    // The network drops; trades 20..29 happen meanwhile and reach the venue's REST history only.
    const subs = fake.subscriptions.length;
    fake.trades.push(...byId(20, 30));
    fake.disconnect();
    await waitFor(() => `resubscribed (${fake.subscriptions.length})`, () => fake.subscriptions.length === subs + 2);
    await waitFor(() => `backfilled 10 per symbol (have ${feed.stats.backfilled})`, () => feed.stats.backfilled === 20);
    assert.ok(fake.restCalls.some((c) => c.startsWith('/api/v3/aggTrades?symbol=BTCUSDT&startTime=')), 'the backfill used REST aggTrades with startTime');
    // The stream then repeats 28, 29 (already backfilled) and goes on to 39.
    fake.trades.push(...byId(30, 40));
    for (const t of byId(28, 40)) fake.send(t);
    await waitFor(() => `40 per symbol in all (have ${feed.stats.appended})`, () => feed.stats.appended === 80);
    assert.equal(feed.stats.deadLetters.duplicate, 4, '28 and 29 of both symbols came twice');
    assert.equal(feed.stats.gaps, 0);
    stop.abort();
    await running;
    for (const s of SYMBOLS) assert.deepEqual(strip(logged(log).get(s)), expected(upTo(40), s), `${s}: every trade once, in id order, nothing invented`);
    assert.deepEqual(feed.lastIds(), { BTCUSDT: { id: 1039, ts: all.find((t) => t.symbol === 'BTCUSDT' && t.a === 1039)!.T }, ETHUSDT: { id: 1039, ts: all.find((t) => t.symbol === 'ETHUSDT' && t.a === 1039)!.T } });

    // A restart on the same log: its position (last trade id per symbol) is read back from the log,
    // the trades made while it was down are fetched by REST, nothing is logged twice.
    fake.trades.push(...byId(40, 50));
    const again = newFeed(fake, log);
    assert.deepEqual(await again.resume(), feed.lastIds());
    const stop2 = newStop();
    const subs2 = fake.subscriptions.length;
    const running2 = again.run(stop2.signal);
    await waitFor('resubscribed after restart', () => fake.subscriptions.length === subs2 + 2);
    assert.equal(again.stats.backfilled, 20);
    stop2.abort();
    await running2;
    for (const s of SYMBOLS) assert.deepEqual(strip(logged(log).get(s)), expected(upTo(50), s));
  });

  test('out-of-order and malformed messages are dead-lettered and counted, a hole the REST history cannot fill is reported as a gap and not filled', async () => {
    fake.trades.length = 0;
    fake.subscriptions.length = 0;
    const all = tape(['BTCUSDT'], 10, { firstId: 500 });
    // The venue's REST history holds nothing after 501 when the hole shows: REST cannot fill it.
    fake.trades.push(...all.slice(0, 2));
    const log = new MemoryLog();
    const feed = newFeed(fake, log);
    const stop = newStop();
    const running = feed.run(stop.signal);
    await waitFor('subscribed', () => fake.subscriptions.length === 2);
    const [t0, t1, t2, t3, t4] = all as [RecordedTrade, RecordedTrade, RecordedTrade, RecordedTrade, RecordedTrade];
    fake.send(t0);
    fake.send(t1);
    fake.send(t3); // 502 never comes before 503: a gap of 1
    fake.send(t2); // ...then arrives late: out of order
    fake.sendRaw(JSON.stringify({ e: 'aggTrade', E: t4.T, s: 'BTCUSDT', a: 900, p: '-5.00', q: '0.1', f: 1, l: 1, T: t4.T, m: false, M: true }), 'BTCUSDT'); // negative price
    fake.sendRaw(JSON.stringify({ e: 'aggTrade', E: t4.T, s: 'BTCUSDT', a: 901, p: '100.00', q: '0', f: 1, l: 1, T: t4.T, m: false, M: true }), 'BTCUSDT'); // zero size
    fake.sendRaw('{"e":"aggTrade", garbage', 'BTCUSDT'); // not JSON: ccxt drops it before the feed sees it
    fake.send(t4);
    await waitFor(() => `4 trades taken (${JSON.stringify(feed.stats)})`, () => feed.stats.appended === 4);
    await waitFor('2 malformed', () => feed.stats.deadLetters.malformed === 2);
    const s: TradeFeedStats = feed.stats;
    assert.equal(s.deadLetters['out-of-order'], 1);
    assert.equal(s.deadLetters.duplicate, 0);
    assert.equal(s.gaps, 1);
    assert.equal(s.missingIds, 1);
    stop.abort();
    await running;
    assert.deepEqual(logged(log).get('BTCUSDT')!.map((t) => t.tradeId), [500, 501, 503, 504], 'the hole stays a hole: no invented trade');
  });

  test('a stream that skips ids without a disconnect the feed sees (ccxt reopened the socket itself): the hole is fetched by REST, nothing lost', async () => {
    fake.trades.length = 0;
    fake.subscriptions.length = 0;
    const all = tape(['BTCUSDT'], 12, { firstId: 3000 });
    fake.trades.push(...all.slice(0, 10));
    const log = new MemoryLog();
    const feed = newFeed(fake, log);
    const stop = newStop();
    const running = feed.run(stop.signal);
    await waitFor('subscribed', () => fake.subscriptions.length === 2);
    for (const t of all.slice(0, 3)) fake.send(t);
    await waitFor('3 streamed', () => feed.stats.streamed === 3);
    // 3003..3006 never reach the stream (the venue has them); the stream goes on at 3007.
    for (const t of all.slice(7, 10)) fake.send(t);
    await waitFor(() => `10 trades taken (${JSON.stringify(feed.stats)})`, () => feed.stats.appended === 10);
    stop.abort();
    await running;
    assert.equal(feed.stats.holesAskedByRest, 1);
    assert.equal(feed.stats.gaps, 0, 'REST filled the hole');
    assert.equal(feed.stats.backfilled, 7, 'REST gave 3003..3009, after 3002');
    assert.equal(feed.stats.deadLetters.duplicate, 3, "the stream's 3007..3009 came again after REST had them");
    assert.deepEqual(strip(logged(log).get('BTCUSDT')), expected(all.slice(0, 10), 'BTCUSDT'), 'every trade once, in id order');
  });

  test('a stream that stalls without an error is reopened by the watchdog, and the silent trades are backfilled', async () => {
    fake.trades.length = 0;
    fake.subscriptions.length = 0;
    const all = tape(['BTCUSDT'], 10, { firstId: 7000 });
    const log = new MemoryLog();
    const feed = newFeed(fake, log, { stallMs: 300 });
    const stop = newStop();
    const running = feed.run(stop.signal);
    await waitFor('subscribed', () => fake.subscriptions.length === 2);
    fake.trades.push(all[0]!);
    fake.send(all[0]!);
    await waitFor('first trade', () => feed.stats.streamed === 1);
    // The venue keeps trading but the stream says nothing (the socket stays open).
    fake.trades.push(...all.slice(1, 6));
    await waitFor(() => `watchdog reconnect (stalls ${feed.stats.stalls}, subs ${fake.subscriptions.length})`, () => feed.stats.stalls >= 1 && fake.subscriptions.length >= 4);
    await waitFor('silent trades backfilled', () => feed.stats.backfilled === 5);
    stop.abort();
    await running;
    assert.equal(feed.stats.errors, 0, 'a stall is not an error');
    assert.deepEqual(logged(log).get('BTCUSDT')!.map((t) => t.tradeId), [7000, 7001, 7002, 7003, 7004, 7005]);
  });
});
