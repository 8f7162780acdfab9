import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { candleProblem, chainProblem, tradeProblem } from '../../../processors/validate/input-validator.ts';
import avro from 'avsc';
import { chainReader } from '../../../storage/serde/chain-reader.ts';
import { ColumnarChain, OPTION_CHAIN_SNAPSHOT_SCHEMA, type Bar, type OptionChainSnapshot, type Trade } from '../../../schemas/index.ts';

const trade = (price: number, size: number): Trade => ({ tsEvent: 1, tsInit: 1, symbol: 'BTC', price, size, side: 'BUY', tradeId: 1 });
const bar = (high: number, volume: number): Bar => ({ tsEvent: 60_000, tsInit: 60_000, symbol: 'ETH', interval: '1m', start: 0, end: 60_000, open: 10, high, low: 10, close: 10, volume, buyVolume: null, vwap: 10, trades: 1 });
const chain = (spot: number, strike: number, last: number | null): OptionChainSnapshot => ({
  tsEvent: 2, tsInit: 2, underlying: 'NIFTY', spot,
  contracts: [{ expiry: 9, strike, right: 'C', bid: null, ask: null, last, iv: null, delta: null, gamma: null, openInterest: 1, volume: 1 }],
});

// Values written into the log by another writer (not through ingest) meet the same bounds at validation.
describe('input validator: plausibility bounds (lib/plausible.ts)', () => {
  test('1e308 prices, strikes, spots and sizes are dead-lettered with their code; ordinary values pass', () => {
    assert.equal(tradeProblem(trade(100, 1)), null);
    assert.equal(tradeProblem(trade(1e308, 1))?.code, 'trade:implausible-price');
    assert.equal(tradeProblem(trade(100, 1e308))?.code, 'trade:implausible-size');
    assert.equal(candleProblem(bar(11, 3)), null);
    assert.equal(candleProblem(bar(1e308, 3))?.code, 'candle:implausible-price');
    assert.equal(candleProblem(bar(11, 1e308))?.code, 'candle:bad-volume');
    assert.equal(chainProblem(chain(24_000, 24_200, 60)), null);
    assert.equal(chainProblem(chain(1e308, 24_200, 60))?.code, 'chain:implausible-spot');
    assert.equal(chainProblem(chain(24_000, 1e308, 60))?.code, 'chain:bad-strike');
    assert.equal(chainProblem(chain(24_000, 24_200, Number.NaN))?.code, 'chain:bad-premium');
    assert.equal(chainProblem(chain(24_000, 24_200, 1e308))?.code, 'chain:bad-premium');
  });
});

// tradeProblem, chainProblem and candleProblem check the common case in one allocation-free expression before
// the rule-by-rule chain (replay speed, docs/benchmarks.md): over every combination of edge
// values, the result is still the first broken rule of the documented order, or null.
describe('input validator: the fast check agrees with the rules', () => {
  const numbers = [Number.NaN, Number.NEGATIVE_INFINITY, -1, 0, 1e-300, 1, 1e12, 1e12 + 1, 1e17, 1e18, Number.POSITIVE_INFINITY];
  test('trades: every combination of symbol, price, size and timestamps', () => {
    const expected = (t: Trade): string | null => {
      if (!t.symbol) return 'trade:empty-symbol';
      if (!(Number.isFinite(t.price) && t.price > 0)) return 'trade:non-positive-price';
      if (!(Number.isFinite(t.size) && t.size > 0)) return 'trade:non-positive-size';
      if (t.price > 1e12) return 'trade:implausible-price';
      if (t.size > 1e17) return 'trade:implausible-size';
      if (!Number.isFinite(t.tsEvent) || !Number.isFinite(t.tsInit)) return 'trade:non-finite-timestamp';
      return null;
    };
    let checked = 0;
    for (const symbol of ['', 'BTC'])
      for (const price of numbers)
        for (const size of numbers)
          for (const ts of [1, Number.NaN, Number.POSITIVE_INFINITY]) {
            const t: Trade = { tsEvent: ts, tsInit: 1, symbol, price, size, side: 'SELL', tradeId: 7 };
            assert.equal(tradeProblem(t)?.code ?? null, expected(t), JSON.stringify([symbol, price, size, ts]));
            checked++;
          }
    // A value of the wrong type (another writer's log) is refused as before, not let through.
    assert.equal(tradeProblem({ ...trade(1, 1), price: '5' as unknown as number })?.code, 'trade:non-positive-price');
    assert.equal(checked, 2 * numbers.length ** 2 * 3);
  });
  test('candles: every combination of symbol, the four prices, volume and start/end', () => {
    // The documented order: symbol, then open, high, low, close (each: non-positive or non-finite,
    // then above the bound), then high below low, volume, end after start.
    const expected = (b: Bar): string | null => {
      if (!b.symbol) return 'candle:empty-symbol';
      for (const v of [b.open, b.high, b.low, b.close]) {
        if (!(Number.isFinite(v) && v > 0)) return 'candle:non-positive-price';
        if (v > 1e12) return 'candle:implausible-price';
      }
      if (b.high < b.low) return 'candle:high-below-low';
      if (!(Number.isFinite(b.volume) && b.volume >= 0 && b.volume <= 1e17)) return 'candle:bad-volume';
      if (!(b.end > b.start)) return 'candle:end-not-after-start';
      return null;
    };
    const prices = [Number.NaN, -1, 0, 1e-300, 1, 2, 1e12, 1e12 + 1, Number.POSITIVE_INFINITY];
    const volumes = [Number.NaN, Number.NEGATIVE_INFINITY, -1, 0, 1, 1e17, 1e18, Number.POSITIVE_INFINITY];
    const spans: [number, number][] = [[0, 60_000], [60_000, 60_000], [60_000, 0], [0, Number.NaN]];
    const base = bar(10, 1);
    let checked = 0;
    for (const symbol of ['', 'ETH'])
      for (const open of prices)
        for (const high of prices)
          for (const low of prices)
            for (const close of prices)
              for (const volume of symbol === '' ? [1] : volumes)
                for (const [start, end] of symbol === '' ? spans.slice(0, 1) : spans) {
                  const b: Bar = { ...base, symbol, open, high, low, close, volume, start, end };
                  const got = candleProblem(b)?.code ?? null;
                  if (got !== expected(b)) assert.equal(got, expected(b), JSON.stringify([symbol, open, high, low, close, volume, start, end], (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
                  checked++;
                }
    assert.equal(checked, prices.length ** 4 * (1 + volumes.length * spans.length));
    // A value of the wrong type (another writer's log) is refused as before, not let through.
    assert.equal(candleProblem({ ...bar(11, 3), close: '5' as unknown as number })?.code, 'candle:non-positive-price');
    assert.equal(candleProblem({ ...bar(11, 3), volume: '5' as unknown as number })?.code, 'candle:bad-volume');
  });
  test('chains: spot, strike, open interest, volume and premiums', () => {
    const premiums = [null, Number.NaN, -1, 0, 5, 1e12, 1e13, Number.POSITIVE_INFINITY];
    const expected = (c: OptionChainSnapshot): string | null => {
      if (!(Number.isFinite(c.spot) && c.spot > 0)) return 'chain:non-positive-spot';
      if (c.spot > 1e12) return 'chain:implausible-spot';
      for (const k of c.contracts) {
        if (!(Number.isFinite(k.strike) && k.strike > 0 && k.strike <= 1e12)) return 'chain:bad-strike';
        if (!(Number.isFinite(k.openInterest) && k.openInterest >= 0)) return 'chain:bad-open-interest';
        if (!(Number.isFinite(k.volume) && k.volume >= 0)) return 'chain:bad-volume';
        for (const p of [k.bid, k.ask, k.last]) if (p !== null && !(Number.isFinite(p) && p >= 0 && p <= 1e12)) return 'chain:bad-premium';
      }
      return null;
    };
    const base = chain(24_000, 24_200, 60);
    const contract = base.contracts[0]!;
    const cases: OptionChainSnapshot[] = [{ ...base, contracts: [] }, { ...base, underlying: '' }];
    for (const spot of numbers) cases.push({ ...base, spot });
    for (const strike of numbers) for (const openInterest of numbers) for (const volume of numbers) cases.push({ ...base, contracts: [contract, { ...contract, strike, openInterest, volume }] });
    for (const bid of premiums) for (const ask of premiums) for (const last of premiums) cases.push({ ...base, contracts: [{ ...contract, bid, ask, last }, contract] });
    // The same chains as the replay's direct reader gives them (ColumnarChain, D173): validated on
    // their columns, with the same code and reason as the records.
    const type = avro.Type.forSchema(OPTION_CHAIN_SNAPSHOT_SCHEMA as unknown as avro.Schema);
    const read = chainReader(type)!;
    let columnar = 0;
    for (const c of cases) {
      const want = c.underlying === '' ? 'chain:empty-underlying' : c.contracts.length === 0 ? 'chain:no-contracts' : expected(c);
      const what = JSON.stringify(c, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
      const p = chainProblem(c);
      assert.equal(p?.code ?? null, want, what);
      const body = type.toBuffer(c);
      const fast = read(Buffer.concat([Buffer.alloc(5), body]), 5) as ColumnarChain;
      assert.ok(fast instanceof ColumnarChain && fast.columns !== null, what);
      assert.deepStrictEqual(chainProblem(fast), p, `columns: ${what}`);
      columnar++;
    }
    assert.equal(columnar, cases.length);
  });
});
