/** Hand-computed small cases and edge cases of each indicator (arithmetic in the comments). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bar } from '../../../schemas/bar.ts';
import { Atr } from '../../../processors/features/atr.ts';
import { Bollinger } from '../../../processors/features/bollinger.ts';
import { LogReturn } from '../../../processors/features/log-return.ts';
import { OrderFlowImbalance } from '../../../processors/features/order-flow-imbalance.ts';
import { RealizedVol } from '../../../processors/features/realized-vol.ts';
import { RollingMean } from '../../../processors/features/rolling-mean.ts';
import { Rsi } from '../../../processors/features/rsi.ts';
import { VolumeRatio } from '../../../processors/features/volume-ratio.ts';
import { VwapZ } from '../../../processors/features/vwap-z.ts';

const near = (got: number | null, want: number, tol = 1e-12): void =>
  assert.ok(got !== null && Math.abs(got - want) <= tol, `got ${got}, want ${want}`);

let t = 0;
function bar(p: Partial<Bar> & { close: number }): Bar {
  t += 300_000;
  return {
    tsEvent: t, tsInit: t, symbol: 'X', interval: '5m', start: t - 300_000, end: t,
    open: p.close, high: p.close, low: p.close, volume: 1, buyVolume: null, vwap: p.close, trades: 1, ...p,
  };
}

describe('LogReturn / RealizedVol', () => {
  test('ln(110/100); null when a price is not positive', () => {
    const r = new LogReturn(1);
    assert.equal(r.add(100), null);
    near(r.add(110), Math.log(1.1));
    const z = new LogReturn(1);
    z.add(0);
    assert.equal(z.add(1), null);
  });

  test('RealizedVol(2) of 100, 110, 99 = sqrt(ln(1.1)² + ln(0.9)²), not annualized', () => {
    const v = new RealizedVol(2);
    [100, 110].forEach((c) => assert.equal(v.add(c), null));
    near(v.add(99), Math.sqrt(Math.log(1.1) ** 2 + Math.log(0.9) ** 2));
  });
});

describe('Rsi', () => {
  test('Rsi(2) of 10, 11, 10.5, 12: seed RS = 0.5/0.25 → 66.67, then RS = 1/0.125 → 88.89', () => {
    // changes +1, -0.5, +1.5; seed avgGain = (1+0)/2, avgLoss = (0+0.5)/2;
    // next avgGain = (0.5·1 + 1.5)/2 = 1, avgLoss = (0.25·1 + 0)/2 = 0.125.
    const r = new Rsi(2);
    assert.equal(r.add(10), null);
    assert.equal(r.add(11), null);
    near(r.add(10.5), 100 - 100 / 3);
    near(r.add(12), 100 - 100 / 9);
  });

  test('all gains → 100, all losses → 0, flat → 50', () => {
    const up = new Rsi(3);
    [1, 2, 3, 4, 5].forEach((c) => up.add(c));
    assert.equal(up.getResult(), 100);
    const down = new Rsi(3);
    [5, 4, 3, 2].forEach((c) => down.add(c));
    assert.equal(down.getResult(), 0);
    const flat = new Rsi(3);
    [7, 7, 7, 7].forEach((c) => flat.add(c));
    assert.equal(flat.getResult(), 50);
  });

  test('leaves 100 once a loss arrives: Rsi(2) of 1, 2, 3, 2 → gain 0.5, loss 0.5 → 50', () => {
    const r = new Rsi(2);
    [1, 2, 3].forEach((c) => r.add(c));
    assert.equal(r.getResult(), 100);
    near(r.add(2), 50);
  });
});

describe('Atr', () => {
  test('first TR = high - low, then true range with gaps, Wilder smoothing', () => {
    const a = new Atr(2);
    assert.equal(a.add(bar({ high: 10, low: 8, close: 9 })), null); // TR 2
    near(a.add(bar({ high: 12, low: 11, close: 11.5 })), 2.5); // gap up: TR = 12 - 9 = 3; (2 + 3)/2
    near(a.add(bar({ high: 11, low: 10.5, close: 11 })), 1.75); // gap down: TR = 11.5 - 10.5 = 1; (2.5 + 1)/2
  });
});

describe('Bollinger', () => {
  test('closes 1..4, k = 2: population std √1.25, %B = 0.5 + 1.5/(4√1.25), width = 4√1.25/2.5', () => {
    const b = new Bollinger(4, 2);
    [1, 2, 3].forEach((c) => assert.equal(b.add(c), null));
    const r = b.add(4);
    const s = Math.sqrt(1.25); // mean 2.5; squared deviations 2.25, 0.25, 0.25, 2.25 over n = 4
    assert.ok(r !== null);
    near(r.middle, 2.5);
    near(r.upper, 2.5 + 2 * s);
    near(r.lower, 2.5 - 2 * s);
    near(r.pctB, 0.5 + 1.5 / (4 * s));
    near(r.width, (4 * s) / 2.5);
  });

  test('equal closes: upper = lower, %B null, width 0 (also for 0.023, whose computed mean is inexact)', () => {
    // In doubles (0.023 + 0.023 + 0.023) / 3 = 0.023000000000000003, which would leave a std of ~3e-18.
    for (const c of [5, 0.023]) {
      const b = new Bollinger(3, 2);
      const r = [c, c, c].map((x) => b.add(x))[2];
      assert.ok(r !== null && r !== undefined);
      assert.equal(r.upper, r.lower);
      assert.equal(r.pctB, null);
      assert.equal(r.width, 0);
    }
  });
});

describe('VwapZ', () => {
  test('VwapZ(3): rolling VWAP (10·1 + 10.5·3 + 11·0)/4 = 10.375, z = (12 - 10.375)/√(2/3)', () => {
    const v = new VwapZ(3);
    v.add(bar({ close: 10, vwap: 10, volume: 1 }));
    v.add(bar({ close: 11, vwap: 10.5, volume: 3 }));
    near(v.add(bar({ close: 12, vwap: 11, volume: 0 })), 1.625 / Math.sqrt(2 / 3));
    near(v.rollingVwap, 10.375);
  });

  test('null when the window has no volume or all closes are equal', () => {
    const noVol = new VwapZ(2);
    noVol.add(bar({ close: 1, volume: 0 }));
    assert.equal(noVol.add(bar({ close: 2, volume: 0 })), null);
    const flat = new VwapZ(3);
    flat.add(bar({ close: 0.023, vwap: 0.02 }));
    flat.add(bar({ close: 0.023, vwap: 0.022 }));
    assert.equal(flat.add(bar({ close: 0.023, vwap: 0.024 })), null);
    near(flat.rollingVwap, 0.022);
  });
});

describe('VolumeRatio / OrderFlowImbalance / RollingMean', () => {
  test('VolumeRatio(2) of 1, 3, 4 = 4 / mean(1, 3) = 2 (the current bar is not in its baseline)', () => {
    const v = new VolumeRatio(2);
    assert.equal(v.add(1), null);
    assert.equal(v.add(3), null);
    assert.equal(v.add(4), 2);
    const z = new VolumeRatio(2);
    [0, 0].forEach((x) => z.add(x));
    assert.equal(z.add(5), null);
  });

  test('OFI = 2·buy/volume - 1; null without buyVolume or volume', () => {
    const o = new OrderFlowImbalance();
    assert.equal(o.add(bar({ close: 1, volume: 100, buyVolume: 75 })), 0.5);
    assert.equal(o.add(bar({ close: 1, volume: 100, buyVolume: null })), null);
    assert.equal(o.add(bar({ close: 1, volume: 0, buyVolume: 0 })), null);
    assert.equal(o.isStable, true);
  });

  test('RollingMean(3): mean of the last 3; null while a null input is in the window', () => {
    const m = new RollingMean(3);
    assert.deepEqual([1, null, 3, 4, 5, 6].map((x) => m.add(x)), [null, null, null, null, 4, 5]);
  });
});

describe('parameters', () => {
  test('periods must be positive integers', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => new LogReturn(bad), RangeError);
      assert.throws(() => new Rsi(bad), RangeError);
      assert.throws(() => new Bollinger(bad), RangeError);
    }
    assert.throws(() => new Bollinger(20, 0), RangeError);
  });
});
