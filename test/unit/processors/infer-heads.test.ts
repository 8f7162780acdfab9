import assert from 'node:assert/strict';
import { test } from 'node:test';
import { from, toArray, lastValueFrom } from 'rxjs';
import { newGraphStats, type Flow } from '../../../processors/graph-events.ts';
import { infer } from '../../../processors/operators/infer.ts';
import type { Predictor } from '../../../processors/types.ts';
import type { Signal } from '../../../schemas/index.ts';

const HASH = 'fs';
const RULE = { minProbability: 0.375, minEdge: 0.125 };

function vector(barEnd: number, up: number): Flow {
  return { kind: 'features', vector: { tsEvent: barEnd, tsInit: barEnd, symbol: 'BTC', interval: '5m', barEnd, featureSetId: 'x', featureSetHash: HASH, features: { up, b: 2, a: 3, c: 4 } }, inputs: [] };
}

/** P(UP) from the `up` column: 1 -> BUY, 0 -> HOLD, -1 -> SELL; contributions depend on the class asked for. */
class ExplainingPredictor implements Predictor {
  readonly modelId = 'm';
  readonly featureSetHash = HASH;
  readonly featureNames = ['up', 'b', 'a', 'c'];
  readonly asked: number[] = [];
  constructor(private readonly withHeads: boolean) {}
  predict(row: Float64Array): [number, number, number] {
    return row[0] === 1 ? [0.625, 0.25, 0.125] : row[0] === -1 ? [0.125, 0.25, 0.625] : [0.25, 0.5, 0.25];
  }
  heads(row: Float64Array) {
    return this.withHeads ? { expectedReturn: (row[0] as number) * 0.001, q10: -0.002, q50: 0, q90: 0.003 } : null;
  }
  contributions(_row: Float64Array, cls: number): Float64Array {
    this.asked.push(cls);
    // Ties between b and a (|0.5|) go to the name first in order: a.
    return Float64Array.from([cls, 0.5, -0.5, 0.1]);
  }
}

async function signals(p: Predictor, flows: Flow[]): Promise<Signal[]> {
  const out = await lastValueFrom(from(flows).pipe(infer(p, RULE, newGraphStats()), toArray()));
  return out.flatMap((f) => (f.kind === 'signal' ? [f.signal] : []));
}

test('heads and the top three contributions of the class behind the action go into the signal', async () => {
  const p = new ExplainingPredictor(true);
  const [buy, hold, sell] = await signals(p, [vector(1, 1), vector(2, 0), vector(3, -1)]);
  assert.deepEqual(p.asked, [0, 1, 2], 'UP for BUY, FLAT for HOLD, DOWN for SELL');
  assert.equal(buy?.action, 'BUY');
  assert.deepEqual([buy?.expectedReturn, buy?.q10, buy?.q50, buy?.q90], [0.001, -0.002, 0, 0.003]);
  // BUY asks class 0: the `up` column contributes 0, which is left out.
  assert.deepEqual(buy?.contributions, [{ feature: 'a', value: -0.5 }, { feature: 'b', value: 0.5 }, { feature: 'c', value: 0.1 }]);
  assert.deepEqual(hold?.contributions?.[0], { feature: 'up', value: 1 });
  assert.deepEqual(sell?.contributions?.[0], { feature: 'up', value: 2 });
});

test('a model with contributions but no heads gives null heads', async () => {
  const [s] = await signals(new ExplainingPredictor(false), [vector(1, 1)]);
  assert.deepEqual([s?.expectedReturn, s?.q10, s?.q50, s?.q90], [null, null, null, null]);
  assert.equal(s?.contributions?.length, 3);
});

test('a model with neither leaves the fields out: the signal a model of before the heads gave', async () => {
  const plainPredictor: Predictor = { modelId: 'm', featureSetHash: HASH, featureNames: ['up'], predict: () => [0.625, 0.25, 0.125] };
  const [s] = await signals(plainPredictor, [vector(1, 1)]);
  for (const k of ['expectedReturn', 'q10', 'q50', 'q90', 'contributions']) assert.ok(!(k in (s as object)), k);
});
