import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar, Signal } from '../../../schemas/index.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { canonicalJson, reportSha256, runBacktest } from '../../../research/backtest/index.ts';
import { bar, endOf, signal } from './fixtures.ts';

/** Three random-walk symbols, 300 bars each, a signal on most bars (seeded, so fixed). */
function dataset(seed: number): { bars: Bar[]; signals: Signal[] } {
  const rng = new Rng(seed);
  const bars: Bar[] = [];
  const signals: Signal[] = [];
  for (const symbol of ['BTC', 'ETH', 'SOL']) {
    let price = 100;
    for (let i = 0; i < 300; i++) {
      const open = price;
      price *= Math.exp(0.004 * rng.normal());
      bars.push(bar(symbol, i, open, price));
      const u = rng.next();
      signals.push(signal(symbol, endOf(i), u < 0.3 ? 'BUY' : u < 0.6 ? 'SELL' : 'HOLD'));
    }
  }
  return { bars, signals };
}

function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('backtest determinism', () => {
  test('two runs give the same sha256, and the run is not trivially empty', () => {
    const { bars, signals } = dataset(7);
    const a = runBacktest({ bars, signals });
    const b = runBacktest({ bars, signals });
    assert.ok(a.trades.length > 50);
    assert.equal(reportSha256(a), reportSha256(b));
  });

  test('shuffled bars and signals give a byte-identical report', () => {
    const { bars, signals } = dataset(7);
    const base = runBacktest({ bars, signals });
    const rng = new Rng(99);
    for (let k = 0; k < 3; k++) {
      const r = runBacktest({ bars: shuffled(bars, rng), signals: shuffled(signals, rng) });
      assert.equal(canonicalJson(r), canonicalJson(base));
    }
  });

  test('the hash changes when the result changes (fee 5 -> 6 bp)', () => {
    const { bars, signals } = dataset(7);
    assert.notEqual(reportSha256(runBacktest({ bars, signals })), reportSha256(runBacktest({ bars, signals, config: { feeBps: 6 } })));
  });
});

describe('canonicalJson', () => {
  test('key order does not matter, at every depth; arrays keep their order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } }), '{"a":{"c":"x","d":[2,1]},"b":1}');
    assert.equal(canonicalJson({ a: { c: 'x', d: [2, 1] }, b: 1 }), canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } }));
  });

  test('numbers as JSON writes them, null kept, undefined members skipped, non-finite rejected', () => {
    assert.equal(canonicalJson({ x: 0.1 + 0.2, y: null, z: undefined }), '{"x":0.30000000000000004,"y":null}');
    assert.throws(() => canonicalJson({ x: Number.NaN }), /non-finite/);
    assert.throws(() => canonicalJson([Infinity]), /non-finite/);
  });
});
