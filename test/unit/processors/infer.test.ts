import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { FeatureSetMismatch } from '../../../processors/check-feature-set.ts';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { infer, signalId } from '../../../processors/operators/infer.ts';
import type { SignalRuleConfig } from '../../../processors/signal/signal-rule.ts';
import type { Predictor } from '../../../processors/types.ts';
import type { Action, InputRange, Signal } from '../../../schemas/index.ts';

const newScheduler = (): TestScheduler => new TestScheduler((a, e) => assert.deepStrictEqual(a, e));
const HASH = 'hash-of-the-fake-set';

/**
 * Probabilities (UP, FLAT, DOWN) picked by the vector's `case` feature; all are multiples of 1/16,
 * so the threshold comparisons below are exact in binary floating point.
 */
const CASES: readonly [number, number, number][] = [
  [0.5, 0.3125, 0.1875], // 0: BUY, clear
  [0.375, 0.375, 0.25], // 1: BUY, P(UP) = minProbability and edge = minEdge exactly
  [0.3125, 0.5, 0.1875], // 2: HOLD, P(UP) just below minProbability
  [0.4375, 0.1875, 0.375], // 3: HOLD, both above minProbability, edges 0.0625 < minEdge
  [0.25, 0.375, 0.375], // 4: SELL, P(DOWN) = minProbability and edge = minEdge exactly
  [0.125, 0.1875, 0.6875], // 5: SELL, clear
];
const RULE: SignalRuleConfig = { minProbability: 0.375, minEdge: 0.125 };

/** A fake model (no real one is needed to test the operator): a fixed table lookup on one column. */
class TablePredictor implements Predictor {
  readonly modelId = 'fake-table-1';
  readonly featureSetHash = HASH;
  readonly featureNames = ['case', 'ofi'] as const;
  readonly rows: number[][] = [];
  predict(row: Float64Array): [number, number, number] {
    this.rows.push([...row]);
    const p = CASES[row[0] as number];
    if (p === undefined) throw new Error(`no case ${row[0]}`);
    return [...p];
  }
}

const inputs: InputRange[] = [{ topic: 'trades', partition: 1, fromOffset: 3, toOffset: 9 }, { topic: 'chains', partition: 0, fromOffset: 4, toOffset: 4 }];
function vector(barEnd: number, c: number | null, featureSetHash = HASH, symbol = 'BTC'): Flow {
  return {
    kind: 'features',
    vector: { tsEvent: barEnd, tsInit: barEnd + 7, symbol, interval: '5m', barEnd, featureSetId: 'fake', featureSetHash, features: { ofi: 0.25, case: c, unused: null } },
    inputs,
  };
}
function signal(barEnd: number, c: number, action: Action, confidence: number, symbol = 'BTC'): Flow {
  const [pUp, pFlat, pDown] = CASES[c] as [number, number, number];
  // The id contract of schemas/signal.ts, computed here independently of signalId().
  const id = createHash('sha256').update(`${symbol}|${barEnd}|fake-table-1|${HASH}`).digest('hex').slice(0, 32);
  const s: Signal = { id, tsEvent: barEnd, tsInit: barEnd + 7, symbol, interval: '5m', barEnd, pUp, pFlat, pDown, action, confidence, modelId: 'fake-table-1', featureSetHash: HASH, inputs };
  return { kind: 'signal', signal: s };
}

describe('infer (marble)', () => {
  test('each feature vector is followed by its signal in the same frame; other events pass untouched', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const b: Flow = { kind: 'bar', bar: { tsEvent: 300_000, tsInit: 300_007, symbol: 'BTC', interval: '5m', start: 0, end: 300_000, open: 1, high: 1, low: 1, close: 1, volume: 1, buyVolume: 1, vwap: 1, trades: 1 }, inputs: [inputs[0] as InputRange] };
      const v = vector(300_000, 0);
      const w = vector(600_000, 5);
      const predictor = new TablePredictor();
      const stats = newGraphStats();
      const out = cold('b-v-----w---|', { b, v, w }).pipe(infer(predictor, RULE, stats));
      expectObservable(out).toBe('b-(vs)--(wt)|', { b, v, w, s: signal(300_000, 0, 'BUY', 0.5), t: signal(600_000, 5, 'SELL', 0.6875) });
      flush();
      // Columns in the predictor's featureNames order, whatever the record's key order.
      assert.deepEqual(predictor.rows, [[0, 0.25], [5, 0.25]]);
      assert.equal(stats.signals, 2);
    });
  });

  test("the rule's thresholds decide BUY/SELL/HOLD, inclusive at minProbability and minEdge", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const [a, b, c, d] = [vector(300_000, 1), vector(600_000, 2), vector(900_000, 3), vector(1_200_000, 4)];
      const out = cold('a-----b-----c-----d-----|', { a, b, c, d }).pipe(infer(new TablePredictor(), RULE, newGraphStats()));
      expectObservable(out).toBe('(aw)--(bx)--(cy)--(dz)--|', {
        a, b, c, d,
        w: signal(300_000, 1, 'BUY', 0.375),
        x: signal(600_000, 2, 'HOLD', 0.5), // HOLD's confidence is P(FLAT)
        y: signal(900_000, 3, 'HOLD', 0.1875),
        z: signal(1_200_000, 4, 'SELL', 0.375),
      });
    });
  });

  test('holdOnly turns every action into HOLD but keeps the probabilities', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const v = vector(300_000, 0);
      const out = cold('v---|', { v }).pipe(infer(new TablePredictor(), { ...RULE, holdOnly: true }, newGraphStats()));
      expectObservable(out).toBe('(vs)|', { v, s: signal(300_000, 0, 'HOLD', 0.3125) });
    });
  });

  test('a vector with a model feature still null gets no signal and is not predicted', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const v = vector(300_000, null);
      const predictor = new TablePredictor();
      const stats = newGraphStats();
      const out = cold('v-|', { v }).pipe(infer(predictor, RULE, stats));
      expectObservable(out).toBe('v-|', { v });
      flush();
      assert.deepEqual([predictor.rows.length, stats.signals], [0, 0]);
    });
  });

  test('a vector of another feature set passes, then the stream errors in the same frame (a wiring mistake, not data)', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const v = vector(300_000, 0, 'some-other-hash');
      const w = vector(600_000, 0);
      const predictor = new TablePredictor();
      const stats = newGraphStats();
      const out = cold('-v---w|', { v, w }).pipe(infer(predictor, RULE, stats));
      expectObservable(out).toBe(
        '-(v#)',
        { v },
        new FeatureSetMismatch('fake-table-1', HASH, { hash: 'some-other-hash', id: 'fake' }),
      );
      flush();
      assert.deepEqual([predictor.rows.length, stats.signals, stats.deadLetters], [0, 0, 0]);
    });
  });

  test('signalId is a stable 32-hex digest of symbol, bar end, model and feature set; each part changes it', () => {
    const id = signalId('BTC', 300_000, 'm', 'h');
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(signalId('BTC', 300_000, 'm', 'h'), id);
    const others = [signalId('ETH', 300_000, 'm', 'h'), signalId('BTC', 600_000, 'm', 'h'), signalId('BTC', 300_000, 'n', 'h'), signalId('BTC', 300_000, 'm', 'g')];
    assert.equal(new Set([id, ...others]).size, 5);
  });
});
