import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { DecisionPolicy } from '../../../processors/decision/index.ts';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { infer } from '../../../processors/operators/infer.ts';
import { DEFAULT_SIGNAL_RULE } from '../../../processors/signal/signal-rule.ts';
import type { Predictor } from '../../../processors/types.ts';
import type { Bar, Signal } from '../../../schemas/index.ts';

const POLICY: DecisionPolicy = { version: 1, moveSource: 'classes', roundTripCost: 0.0014, minNetEdge: 0, classMoves: [0.004, 0, -0.004], kellyFraction: 0.5, maxSize: 1, stopAtr: 2, targetAtr: 3, timeoutBars: 6, barIntervalMs: 300_000 };

/** Probabilities from the row's first column: 1 = confident UP, 0 = weak UP (below the cost). */
const predictor: Predictor = {
  modelId: 'm',
  featureSetHash: 'h',
  featureNames: ['case', 'atr_14_pct'],
  policy: POLICY,
  predict: (row) => (row[0] === 1 ? [0.8, 0.1, 0.1] : [0.45, 0.35, 0.2]),
};

const END = 1_700_000_100_000;
function bar(end: number, close: number): Flow {
  const b: Bar = { tsEvent: end, tsInit: end, symbol: 'BTC', interval: '5m', start: end - 300_000, end, open: close, high: close, low: close, close, volume: 1, buyVolume: null, vwap: close, trades: 1 };
  return { kind: 'bar', bar: b, inputs: [{ topic: 'trades', partition: 0, fromOffset: 0, toOffset: 0 }] };
}
function vector(end: number, c: number): Flow {
  return { kind: 'features', vector: { tsEvent: end, tsInit: end, symbol: 'BTC', interval: '5m', barEnd: end, featureSetId: 'x', featureSetHash: 'h', features: { case: c, atr_14_pct: 0.001 } }, inputs: [] };
}
async function signals(events: Flow[], holdOnly = false): Promise<Signal[]> {
  const out = await lastValueFrom(from(events).pipe(infer(predictor, { ...DEFAULT_SIGNAL_RULE, holdOnly }, newGraphStats()), toArray()));
  return out.flatMap((e) => (e.kind === 'signal' ? [e.signal] : []));
}

describe('infer with a decision policy', () => {
  test("size, stop and target from the vector's own bar close; HOLD carries its reason", async () => {
    const [buy, hold] = await signals([bar(END, 200), vector(END, 1), bar(END + 300_000, 210), vector(END + 300_000, 0)]);
    assert.equal(buy?.action, 'BUY');
    assert.ok(Math.abs(buy.size! - 0.5 * (0.8 / 0.9 - 0.1 / 0.9)) < 1e-15);
    assert.ok(Math.abs(buy.stop! - (200 - 2 * 0.2)) < 1e-12 && Math.abs(buy.target! - (200 + 3 * 0.2)) < 1e-12);
    assert.equal(buy?.expiresAt, END + 6 * 300_000);
    assert.equal(buy?.reason, null);
    assert.equal(hold?.action, 'HOLD');
    assert.equal(hold?.size, 0);
    assert.equal(hold?.reason, 'cost exceeds expected move');
  });

  test("a vector whose bar did not come right before it gets no levels (never another bar's price)", async () => {
    const [s] = await signals([bar(END - 300_000, 150), vector(END, 1)]);
    assert.equal(s?.action, 'BUY');
    assert.equal(s?.stop, null);
    assert.equal(s?.target, null);
  });

  test('holdOnly overrides the policy', async () => {
    const [s] = await signals([bar(END, 200), vector(END, 1)], true);
    assert.equal(s?.action, 'HOLD');
    assert.equal(s?.size, undefined);
  });
});
