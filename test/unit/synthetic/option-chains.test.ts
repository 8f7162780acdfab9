import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SyntheticMarket, syntheticConfig } from '../../../sources/synthetic/index.ts';
import { weeklyExpiries } from '../../../sources/synthetic/weekly-expiries.ts';
import { bsGreeks, bsPrice, impliedVol } from '../../../processors/math/black-scholes.ts';
import type { OptionChainSnapshot, OptionContract, Trade } from '../../../schemas/index.ts';

const YEAR_MS = 365 * 86_400_000;
const market = new SyntheticMarket(syntheticConfig({ days: 0.5, seed: 21 }));
const chains: OptionChainSnapshot[] = [];
const lastTrade = new Map<string, Trade>();
const spotVsTrade: number[] = [];
for (const e of market.events()) {
  if (e.topic === 'trades') {
    if (e.value.price > 0) lastTrade.set(e.key, e.value);
  } else {
    chains.push(e.value);
    const t = lastTrade.get(e.key);
    if (t) spotVsTrade.push(Math.abs(Math.log(e.value.spot / t.price)));
  }
}
const steps = new Map(market.config.symbols.map((s) => [s.symbol, s.strikeStep]));

function pairs(c: OptionChainSnapshot): [OptionContract, OptionContract][] {
  const calls = new Map(c.contracts.filter((k) => k.right === 'C').map((k) => [`${k.expiry}|${k.strike}`, k]));
  return c.contracts.filter((k) => k.right === 'P').map((p) => [calls.get(`${p.expiry}|${p.strike}`)!, p]);
}

describe('weeklyExpiries', () => {
  test('next Fridays 08:00 UTC strictly after the time', () => {
    const mon = Date.UTC(2026, 0, 5); // Monday 2026-01-05
    assert.deepEqual(weeklyExpiries(mon, 2, 8), [Date.UTC(2026, 0, 9, 8), Date.UTC(2026, 0, 16, 8)]);
    assert.deepEqual(weeklyExpiries(Date.UTC(2026, 0, 9, 8), 1, 8), [Date.UTC(2026, 0, 16, 8)]);
    assert.deepEqual(weeklyExpiries(Date.UTC(2026, 0, 9, 7, 59), 1, 8), [Date.UTC(2026, 0, 9, 8)]);
    for (const e of weeklyExpiries(Date.UTC(2026, 4, 17, 13), 6, 8)) assert.equal(new Date(e).getUTCDay(), 5);
  });
});

describe('synthetic option chains', () => {
  test('one snapshot per underlying per minute, spot at the latent price', () => {
    assert.equal(chains.length, 2 * 720);
    for (const c of chains) assert.equal((c.tsEvent - market.config.start) % 60_000, 0);
    // The last trade before a snapshot sampled the same latent path at most seconds earlier.
    const sorted = [...spotVsTrade].sort((a, b) => a - b);
    assert.ok(sorted[Math.floor(sorted.length * 0.99)]! < 0.003, 'spot within 0.3% of the last trade');
  });

  test('four weekly expiries and strikes on the grid within +-10 % of spot', () => {
    for (const c of chains) {
      const expiries = [...new Set(c.contracts.map((k) => k.expiry))];
      assert.deepEqual(expiries, weeklyExpiries(c.tsEvent, 4, 8));
      const step = steps.get(c.underlying)!;
      for (const k of c.contracts) {
        assert.ok(k.strike >= 0.9 * c.spot && k.strike <= 1.1 * c.spot, `${k.strike} vs ${c.spot}`);
        assert.equal(k.strike % step, 0);
      }
      assert.ok(c.contracts.length >= 4 * 2 * 5);
    }
  });

  test('put-call parity holds within the quoted spreads', () => {
    for (const c of chains) {
      for (const [call, put] of pairs(c)) {
        const T = (call.expiry - c.tsEvent) / YEAR_MS;
        const parity = c.spot - call.strike * Math.exp(-market.config.options.riskFreeRate * T);
        assert.ok(call.bid! - put.ask! <= parity + 1e-9 && parity <= call.ask! - put.bid! + 1e-9, `${c.underlying} ${call.strike}`);
        assert.ok(call.bid! >= 0 && call.bid! < call.ask! && put.bid! >= 0 && put.bid! < put.ask!);
      }
    }
  });

  test('iv, delta and gamma are consistent with Black-Scholes and the quotes', () => {
    for (const c of chains.slice(0, 40)) {
      for (const k of c.contracts) {
        const T = (k.expiry - c.tsEvent) / YEAR_MS;
        const g = bsGreeks(k.right, c.spot, k.strike, T, 0, k.iv!);
        assert.ok(Math.abs(g.delta - k.delta!) < 1e-9 && Math.abs(g.gamma - k.gamma!) < 1e-9);
        const mid = bsPrice(k.right, c.spot, k.strike, T, 0, k.iv!);
        assert.ok(k.bid! <= mid + 1e-9 && mid <= k.ask! + 1e-9);
        const ivAsk = impliedVol(k.right, k.ask!, c.spot, k.strike, T, 0);
        assert.ok(ivAsk === null || ivAsk >= k.iv! - 1e-9);
        const ivBid = k.bid! > 0 ? impliedVol(k.right, k.bid!, c.spot, k.strike, T, 0) : null;
        assert.ok(ivBid === null || ivBid <= k.iv! + 1e-9);
      }
    }
  });

  test('skew: out-of-the-money puts are richer than calls; term structure: front above back', () => {
    for (const c of chains) {
      const byExpiry = new Map<number, OptionContract[]>();
      for (const k of c.contracts) byExpiry.set(k.expiry, [...(byExpiry.get(k.expiry) ?? []), k]);
      const expiries = [...byExpiry.keys()];
      for (const ks of byExpiry.values()) {
        const otmPut = ks.filter((k) => k.right === 'P' && k.strike < c.spot).sort((a, b) => a.strike - b.strike)[0]!;
        const otmCall = ks.filter((k) => k.right === 'C' && k.strike > c.spot).sort((a, b) => b.strike - a.strike)[0]!;
        assert.ok(otmPut.iv! > otmCall.iv!, `${otmPut.iv} vs ${otmCall.iv}`);
      }
      const ivAt = (e: number, strike: number): number => byExpiry.get(e)!.find((k) => k.strike === strike)!.iv!;
      for (const k of byExpiry.get(expiries[0]!)!) assert.ok(ivAt(expiries[0]!, k.strike) > ivAt(expiries[3]!, k.strike));
    }
  });

  test('open interest peaks at the money and evolves; volume is a non-negative count', () => {
    let atm = 0, nAtm = 0, wing = 0, nWing = 0, changed = 0, same = 0, traded = 0;
    const prev = new Map<string, number>();
    for (const c of chains.filter((x) => x.underlying === 'BTC')) {
      for (const k of c.contracts) {
        assert.ok(Number.isInteger(k.openInterest) && k.openInterest >= 0);
        assert.ok(Number.isInteger(k.volume) && k.volume >= 0);
        if (k.volume > 0) traded++;
        const m = Math.abs(Math.log(k.strike / c.spot));
        if (m < 0.02) { atm += k.openInterest; nAtm++; }
        if (m > 0.07) { wing += k.openInterest; nWing++; }
        const key = `${k.expiry}|${k.strike}|${k.right}`;
        const p = prev.get(key);
        if (p !== undefined) { if (p === k.openInterest) same++; else changed++; }
        prev.set(key, k.openInterest);
      }
    }
    assert.ok(atm / nAtm > 2 * (wing / nWing), `atm ${atm / nAtm} wing ${wing / nWing}`);
    assert.ok(changed > same, `changed ${changed} same ${same}`);
    assert.ok(traded > 100);
  });
});
