import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SyntheticMarket, syntheticConfig, type MarketEvent, type SyntheticConfigInput } from '../../../sources/synthetic/index.ts';
import type { Trade } from '../../../schemas/index.ts';

const BAR = 300_000;

function run(input: SyntheticConfigInput): { market: SyntheticMarket; events: MarketEvent[] } {
  const market = new SyntheticMarket(syntheticConfig(input));
  return { market, events: [...market.events()] };
}

function hash(events: Iterable<MarketEvent>): string {
  const h = createHash('sha256');
  for (const e of events) h.update(JSON.stringify(e));
  return h.digest('hex');
}

describe('SyntheticMarket: determinism and delivery order', () => {
  const small: SyntheticConfigInput = { days: 0.1, seed: 7 };
  const { market, events } = run(small);
  const trades = events.filter((e) => e.topic === 'trades').map((e) => e.value);

  test('same seed gives the identical event sequence, also on a second iteration', () => {
    const again = run(small).events;
    assert.equal(again.length, events.length);
    assert.equal(hash(again), hash(events));
    assert.equal(hash(market.events()), hash(events));
  });

  test('different seeds give different sequences', () => {
    assert.notEqual(hash(run({ ...small, seed: 8 }).events), hash(events));
  });

  test('both topics and both symbols are present, inside [start, start + days)', () => {
    const c = market.config;
    const end = c.start + 0.1 * 86_400_000;
    for (const key of ['BTC', 'ETH']) {
      assert.ok(events.some((e) => e.topic === 'trades' && e.key === key));
      assert.ok(events.some((e) => e.topic === 'options' && e.key === key));
    }
    for (const e of events) {
      assert.ok(e.value.tsEvent >= c.start && e.value.tsEvent < end, `tsEvent ${e.value.tsEvent}`);
      assert.equal(e.key, e.topic === 'trades' ? (e.value).symbol : e.key);
    }
    // One chain per underlying per minute.
    assert.equal(events.filter((e) => e.topic === 'options').length, 2 * Math.ceil((0.1 * 86_400_000) / 60_000));
  });

  test('tsInit is non-decreasing across symbols and topics', () => {
    for (let i = 1; i < events.length; i++) {
      assert.ok((events[i] as MarketEvent).value.tsInit >= (events[i - 1] as MarketEvent).value.tsInit, `at ${i}`);
    }
  });

  test('latency: trades 5 ms + ~Exp(20 ms) and sometimes out of event-time order, chains 50-200 ms', () => {
    const lat = trades.map((t) => t.tsInit - t.tsEvent).filter((d) => d < 60_000);
    assert.ok(Math.min(...lat) >= 5);
    const mean = lat.reduce((s, d) => s + d, 0) / lat.length;
    assert.ok(Math.abs(mean - 24.5) < 1, `mean latency ${mean}`); // 5 + E[floor(Exp(20))] = 5 + 19.5
    let inversions = 0;
    for (let i = 1; i < trades.length; i++) if ((trades[i] as Trade).tsEvent < (trades[i - 1] as Trade).tsEvent) inversions++;
    assert.ok(inversions > 0, 'delivery should not be sorted by event time');
    for (const e of events) {
      if (e.topic === 'options') {
        const d = e.value.tsInit - e.value.tsEvent;
        assert.ok(d >= 50 && d <= 200, `chain latency ${d}`);
      }
    }
  });

  test('trade ids are 1, 2, ... per symbol in event-time order', () => {
    for (const sym of ['BTC', 'ETH']) {
      const ts = trades.filter((t) => t.symbol === sym).sort((a, b) => a.tradeId - b.tradeId);
      ts.forEach((t, i) => assert.equal(t.tradeId, i + 1));
      for (let i = 1; i < ts.length; i++) assert.ok((ts[i] as Trade).tsEvent >= (ts[i - 1] as Trade).tsEvent);
    }
  });

  test('truth matches the bars a processor would build from the delivered trades', () => {
    // Recompute OFI and close per 5m bar from the events: good (positive price and size), not late;
    // the close is the latest tsEvent, ties by delivery order.
    const lateMin = market.config.latency.lateMinMs;
    for (const st of market.truth().symbols) {
      const bars = new Map<number, { buy: number; vol: number; close: number; ts: number }>();
      for (const t of trades) {
        if (t.symbol !== st.symbol || t.price <= 0 || t.size <= 0 || t.tsInit - t.tsEvent >= lateMin) continue;
        const k = Math.floor((t.tsEvent - st.firstBarStart) / BAR);
        const b = bars.get(k) ?? { buy: 0, vol: 0, close: Number.NaN, ts: -1 };
        b.vol += t.size;
        if (t.side === 'BUY') b.buy += t.size;
        if (t.tsEvent >= b.ts) {
          b.close = t.price;
          b.ts = t.tsEvent;
        }
        bars.set(k, b);
      }
      assert.equal(st.bars, Math.floor((0.1 * 86_400_000) / BAR));
      for (let k = 0; k < st.bars; k++) {
        const b = bars.get(k);
        assert.ok(b, `bar ${k} has trades`);
        assert.ok(Math.abs((st.ofi[k] as number) - (2 * b.buy / b.vol - 1)) < 1e-9, `${st.symbol} bar ${k} ofi`);
        assert.equal(st.close[k], b.close, `${st.symbol} bar ${k} close`);
      }
    }
  });
});

describe('SyntheticMarket: bad and late trades', () => {
  test('occur at roughly the configured rates, are malformed / delayed as documented, and stay out of the truth', () => {
    const { market, events } = run({ days: 0.5, seed: 3, badTradeRate: 0.01, lateTradeRate: 0.02, options: { intervalMs: 86_400_000 } });
    const trades = events.filter((e) => e.topic === 'trades').map((e) => e.value);
    const n = trades.length;
    const bad = trades.filter((t) => !(t.price > 0) || !(t.size > 0)).length;
    const late = trades.filter((t) => t.price > 0 && t.size > 0 && t.tsInit - t.tsEvent >= 60_000);
    const within = (count: number, p: number): boolean => Math.abs(count - n * p) < 4 * Math.sqrt(n * p * (1 - p));
    assert.ok(within(bad, 0.01), `bad ${bad} of ${n}`);
    assert.ok(within(late.length, 0.02), `late ${late.length} of ${n}`);
    for (const t of late) assert.ok(t.tsInit - t.tsEvent >= 90_000 && t.tsInit - t.tsEvent <= 180_000);
    const truth = market.truth().symbols;
    assert.equal(truth.reduce((s, t) => s + t.badTrades, 0), bad);
    assert.equal(truth.reduce((s, t) => s + t.lateTrades, 0), late.length);
    assert.equal(truth.reduce((s, t) => s + t.trades, 0), n);
  });
});

describe('syntheticConfig', () => {
  test('merges nested overrides with the defaults and completes known symbols', () => {
    const c = syntheticConfig({ days: 2, latency: { tradeMinMs: 1 }, symbols: [{ symbol: 'ETH', volatility: 0.8 }] });
    assert.equal(c.days, 2);
    assert.equal(c.latency.tradeMinMs, 1);
    assert.equal(c.latency.tradeMeanExtraMs, 20);
    assert.equal(c.symbols.length, 1);
    assert.equal(c.symbols[0]?.initialPrice, 3000);
    assert.equal(c.symbols[0]?.volatility, 0.8);
  });

  test('rejects invalid settings', () => {
    assert.throws(() => syntheticConfig({ days: 0 }), RangeError);
    assert.throws(() => syntheticConfig({ seasonality: { amplitude: 1.5 } }), RangeError);
    assert.throws(() => syntheticConfig({ symbols: [{ symbol: 'SOL' }] }), /initialPrice/);
    assert.throws(() => syntheticConfig({ symbols: [{ symbol: 'SOL', initialPrice: 150, tickSize: 0.003 }] }), /tickSize/);
  });
});
