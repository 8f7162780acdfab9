import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, formatQuantity, formatSignal, SignalLines } from '../../../cli/output.ts';
import type { Bar, Signal } from '../../../schemas/index.ts';

const T = Date.UTC(2026, 0, 5, 10, 35); // a bar close
const signal = (action: Signal['action'], pUp: number, pFlat: number, pDown: number): Signal => ({
  id: 'x', tsEvent: T, tsInit: T + 5, symbol: 'BTC', interval: '5m', barEnd: T, pUp, pFlat, pDown, action,
  confidence: action === 'BUY' ? pUp : action === 'SELL' ? pDown : pFlat, modelId: 'm', featureSetHash: 'h', inputs: [],
});

describe('signal lines a trader can read', () => {
  test('BUY and SELL: market time, symbol, price, action, P of the chosen direction, horizon', () => {
    assert.equal(
      formatSignal(signal('SELL', 0.236, 0.22, 0.544), { price: 60123.4, horizonMs: 1_800_000 }),
      '2026-01-05 10:35:00Z BTC   @ 60123.4 SELL  P(down) 0.544 over the next 30m  (P(up/flat/down) 0.236/0.220/0.544)',
    );
    assert.match(formatSignal(signal('BUY', 0.5, 0.3, 0.2), { horizonMs: 1_800_000 }), / BUY {3}P\(up\) 0\.500 over the next 30m /);
  });

  test('HOLD names the most likely class and why, not P(flat) when flat is the least likely', () => {
    const line = formatSignal(signal('HOLD', 0.401, 0.297, 0.302), {});
    assert.match(line, /HOLD {2}most likely up 0\.401; no trade: neither up nor down clears the signal rule/);
    assert.doesNotMatch(line, /conf/);
    assert.match(formatSignal(signal('HOLD', 0.2, 0.6, 0.2)), /most likely flat 0\.600/);
  });

  test("a decision policy's HOLD gives its reason; its trades show size, stop and target", () => {
    assert.match(formatSignal({ ...signal('HOLD', 0.45, 0.35, 0.2), size: 0, reason: 'cost exceeds expected move' }), /no trade: cost exceeds expected move/);
    assert.match(formatSignal({ ...signal('BUY', 0.6, 0.2, 0.2), size: 0.25, stop: 99.5, target: 101.25 }), /BUY {3}P\(up\) 0\.600, size 0\.25 stop 99\.5 target 101\.25 /);
  });

  test('wall time is shown only when it differs from market time', () => {
    assert.match(formatSignal(signal('BUY', 0.5, 0.3, 0.2), { wallTime: T + 400 }), /^2026-01-05 10:35:00Z BTC/);
    assert.match(formatSignal(signal('BUY', 0.5, 0.3, 0.2), { wallTime: Date.UTC(2026, 10, 29, 17, 0, 1) }), /^2026-01-05 10:35:00Z \(wall 17:00:01Z\) BTC/);
  });

  test('SignalLines takes the price from the bar of the same close only', () => {
    const lines = new SignalLines(1_800_000);
    const bar = { symbol: 'BTC', interval: '5m', end: T - 300_000, close: 1 } as Bar;
    lines.bar(bar);
    assert.doesNotMatch(lines.format(signal('BUY', 0.5, 0.3, 0.2)), / @ /, 'an older bar is not this signal\'s price');
    lines.bar({ ...bar, end: T, close: 0.1 + 0.2 });
    assert.match(lines.format(signal('BUY', 0.5, 0.3, 0.2)), / @ 0\.3 BUY/);
  });

  test('quantities without float noise, every real digit kept', () => {
    assert.equal(formatQuantity(51.63499999999999), '51.635');
    assert.equal(formatQuantity(0.1 + 0.2), '0.3');
    assert.equal(formatQuantity(60123.45), '60123.45');
    assert.equal(formatQuantity(0.00012345), '0.00012345');
    assert.equal(formatQuantity(3), '3');
    assert.deepEqual([formatDuration(1_800_000), formatDuration(21_600_000), formatDuration(90_000), formatDuration(1_500)], ['30m', '6h', '90s', '1500ms']);
  });

  test('a confluence signal shows each timeframe: its log-odds, * when it agrees, - without a view', () => {
    const s: Signal = {
      ...signal('HOLD', 0.573, 0.331, 0.096),
      reason: 'agreement: 1 of 3 timeframes agree with BUY, k=2',
      timeframes: [
        { interval: '5m', modelId: 'a', barEnd: T, pUp: 0.6, pFlat: 0.3, pDown: 0.1, weight: 1, logOdds: Math.log(6), agrees: true },
        { interval: '15m', modelId: 'b', barEnd: T, pUp: 0.2, pFlat: 0.3, pDown: 0.5, weight: 1, logOdds: Math.log(0.4), agrees: false },
        { interval: '1h', modelId: 'c', barEnd: null, pUp: null, pFlat: null, pDown: null, weight: 1, logOdds: null, agrees: false },
      ],
    };
    assert.match(formatSignal(s), /no trade: agreement: 1 of 3 timeframes agree with BUY, k=2 .*\(P\(up\/flat\/down\) 0\.573\/0\.331\/0\.096\)  \[5m \+1\.79\*, 15m -0\.92, 1h -\]$/);
  });
});
