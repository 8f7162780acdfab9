import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { FeatureSetMismatch } from '../../../processors/check-feature-set.ts';
import { CORE_FEATURE_SET } from '../../../processors/features/full/index.ts';
import { buildGraph } from '../../../processors/graph.ts';
import { newGraphStats, type GraphEvent } from '../../../processors/graph-events.ts';
import { signalId } from '../../../processors/operators/infer.ts';
import type { InputEvent, Predictor } from '../../../processors/types.ts';
import type { OptionChainSnapshot } from '../../../schemas/index.ts';

const MIN = 60_000;
let offset = 0;
const tradeAt = (ts: number, price: number, side: 'BUY' | 'SELL' = 'BUY', size = 1): InputEvent => ({
  kind: 'trade',
  pos: { topic: 'trades', partition: 0, offset: offset++ },
  value: { tsEvent: ts, tsInit: ts + 10, symbol: 'X', price, size, side, tradeId: offset },
});
const chainAt = (tsInit: number, iv: number): InputEvent => {
  const value: OptionChainSnapshot = {
    tsEvent: tsInit - 100, tsInit, underlying: 'X', spot: 100,
    contracts: [95, 100, 105].flatMap((strike) => (['C', 'P'] as const).map((right) => ({ expiry: tsInit + 7 * 86_400_000, strike, right, bid: 1, ask: 1.2, last: 1.1, iv, delta: null, gamma: null, openInterest: 100, volume: 10 }))),
  };
  return { kind: 'chain', pos: { topic: 'options', partition: 0, offset: offset++ }, value };
};

/** Runs the graph over inputs (sorted by tsInit, as the merged reader delivers them). */
function run(inputs: InputEvent[], predictor: Predictor | null = null): { out: GraphEvent[]; stats: ReturnType<typeof newGraphStats> } {
  const stats = newGraphStats();
  const src = new Subject<InputEvent>();
  const out: GraphEvent[] = [];
  const box: { failure: Error | null } = { failure: null };
  buildGraph(src, { stats, predictor }).subscribe({ next: (e) => out.push(e), error: (e: unknown) => (box.failure = e instanceof Error ? e : new Error(JSON.stringify(e))) });
  for (const e of [...inputs].sort((a, b) => tsInit(a) - tsInit(b))) src.next(e);
  src.complete();
  if (box.failure !== null) throw box.failure;
  return { out, stats };
}
const tsInit = (e: InputEvent): number => (e.kind === 'undecodable' ? e.tsInit : e.value.tsInit);

/** Two hours of trades every 10 s with a gentle zig-zag, and a chain every minute. */
function market(): { inputs: InputEvent[]; chainOffsets: Map<number, number> } {
  offset = 0;
  const inputs: InputEvent[] = [];
  const chainOffsets = new Map<number, number>();
  for (let t = 0; t < 120 * MIN; t += 10_000) inputs.push(tradeAt(t, 100 + Math.sin(t / 600_000) * 2 + ((t / 10_000) % 3) * 0.05, t % 30_000 === 0 ? 'SELL' : 'BUY'));
  for (let m = 1; m <= 120; m++) {
    const c = chainAt(m * MIN - 500, 0.3 + m / 1000);
    chainOffsets.set(m * MIN - 500, c.pos.offset);
    inputs.push(c);
  }
  return { inputs, chainOffsets };
}

describe('the processing graph', () => {
  test('the as-of join uses the latest chain with tsInit <= bar end, never one that came later', () => {
    const { inputs, chainOffsets } = market();
    // A chain that arrives 0.5 s AFTER the 10:05 bar end, with an absurd IV: it is processed
    // before that bar closes (the closing trade comes ~10 s later) but must not be used for it.
    const late = chainAt(5 * MIN + 500, 9.99);
    const { out } = run([...inputs, late]);
    const fv = out.find((e) => e.kind === 'features' && e.vector.barEnd === 5 * MIN);
    assert.ok(fv?.kind === 'features');
    assert.equal(fv.inputs[1]?.fromOffset, chainOffsets.get(5 * MIN - 500));
    assert.ok(Math.abs((fv.vector.features['atm_iv'] as number) - (0.3 + 5 / 1000)) < 1e-12);
    const next = out.find((e) => e.kind === 'features' && e.vector.barEnd === 10 * MIN);
    assert.ok(next?.kind === 'features');
    assert.equal(next.inputs[1]?.fromOffset, chainOffsets.get(10 * MIN - 500));
  });

  test('features before warm-up are null, never NaN or 0; later all core features are present', () => {
    const { out } = run(market().inputs);
    const vectors = out.flatMap((e) => (e.kind === 'features' ? [e.vector] : []));
    assert.equal(vectors.length, 23); // 5m bars ending 5..115 min: the 120-min bar has not closed
    assert.equal(vectors[0]?.features['rsi_14'], null);
    for (const v of vectors) for (const x of Object.values(v.features)) assert.ok(x === null || Number.isFinite(x));
    const last = vectors[vectors.length - 1];
    assert.ok(last && CORE_FEATURE_SET.names.every((n) => last.features[n] !== null), JSON.stringify(last?.features));
  });

  test('invalid trades and undecodable records become counted dead letters; processing goes on', () => {
    const { inputs } = market();
    const bad: InputEvent[] = [
      tradeAt(61_000, -5),
      tradeAt(62_000, Number.NaN),
      { kind: 'undecodable', pos: { topic: 'trades', partition: 0, offset: offset++ }, key: 'X', tsInit: 63_000, reason: 'bad-magic-byte', payload: new Uint8Array([7]) },
    ];
    const { out, stats } = run([...inputs, ...bad]);
    const dead = out.flatMap((e) => (e.kind === 'deadLetter' ? [e.deadLetter] : []));
    assert.equal(dead.length, 3);
    assert.match(dead[0]?.reason ?? '', /non-positive or non-finite price -5/);
    assert.match(dead[2]?.reason ?? '', /decode: bad-magic-byte/);
    assert.deepEqual(dead[2]?.payload, new Uint8Array([7]));
    assert.equal(stats.deadLetters, 3);
    assert.ok(out.some((e) => e.kind === 'features'));
  });

  test('a signal comes only with every model feature present, with a deterministic id and provenance', () => {
    const calls: number[][] = [];
    const predictor: Predictor = {
      modelId: 'm1',
      featureSetHash: CORE_FEATURE_SET.hash,
      featureNames: ['ret_1', 'rsi_14'],
      predict(row) {
        calls.push([...row]);
        return row[0]! > 0 ? [0.6, 0.3, 0.1] : [0.1, 0.3, 0.6];
      },
    };
    const { out } = run(market().inputs, predictor);
    const signals = out.flatMap((e) => (e.kind === 'signal' ? [e.signal] : []));
    const vectors = out.flatMap((e) => (e.kind === 'features' ? [e.vector] : []));
    const ready = vectors.filter((v) => v.features['ret_1'] !== null && v.features['rsi_14'] !== null);
    assert.equal(signals.length, ready.length);
    assert.ok(signals.length > 0 && signals.length < vectors.length);
    for (const [i, s] of signals.entries()) {
      assert.equal(s.id, signalId('X', s.barEnd, 'm1', CORE_FEATURE_SET.hash));
      assert.equal(s.action, (calls[i]?.[0] as number) > 0 ? 'BUY' : 'SELL');
      assert.equal(s.inputs[0]?.topic, 'trades');
      assert.equal(s.inputs[1]?.topic, 'options');
    }
  });

  test('a model trained on another feature set is refused', () => {
    const predictor: Predictor = { modelId: 'm2', featureSetHash: 'other', featureNames: ['ret_1'], predict: () => [1 / 3, 1 / 3, 1 / 3] };
    assert.throws(() => run(market().inputs, predictor), (e: unknown) => e instanceof FeatureSetMismatch && e.trainedOn === 'other' && e.offered.hash === CORE_FEATURE_SET.hash && e.offered.id === CORE_FEATURE_SET.id);
  });
});
