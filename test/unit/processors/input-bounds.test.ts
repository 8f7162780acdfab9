import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { candleProblem, chainProblem, tradeProblem } from '../../../processors/validate/input-validator.ts';
import type { Bar, OptionChainSnapshot, Trade } from '../../../schemas/index.ts';

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
