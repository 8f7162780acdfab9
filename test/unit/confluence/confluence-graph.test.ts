import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { GraphStateRegistry, graphIdentity, restoreGraph, snapshotGraph } from '../../../processors/checkpoint/index.ts';
import { confluenceModel, type ConfluenceModel } from '../../../processors/confluence/confluence-model.ts';
import { coreFeatureSet, type FeatureSetDef } from '../../../processors/features/full/index.ts';
import { buildGraph, graphConfigFor, type GraphConfig } from '../../../processors/graph.ts';
import { newGraphStats, type GraphEvent } from '../../../processors/graph-events.ts';
import { Rng } from '../../../processors/math/rng.ts';
import type { InputEvent, Predictor } from '../../../processors/types.ts';
import type { Signal } from '../../../schemas/index.ts';
import { graphEventKey } from '../../helpers/toy-predictor.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const FS5 = coreFeatureSet('5m');
const FS15 = coreFeatureSet('15m');

/** Probabilities from one feature (another per model, so the timeframes disagree at times): a lean s in [-1, 1]. */
function toy(fs: FeatureSetDef, id: string, feature: string, lean: (x: number) => number): Predictor {
  const at = fs.names.indexOf(feature);
  assert.ok(at >= 0, feature);
  return {
    modelId: id,
    featureSetHash: fs.hash,
    featureNames: fs.names,
    predict(row) {
      const s = lean(row[at] ?? 0);
      return [0.3 + 0.25 * s, 0.4, 0.3 - 0.25 * s];
    },
  };
}

/**
 * Two days of trades every 20 s (a seeded random walk) on one symbol, with a gap: the last trade
 * before it is at 30:01, the next at 33:00, so that one input closes the 5m bar ending 30:05 AND
 * the 15m bar ending 30:15 (the trap for a join that takes the latest view it has).
 */
function market(): InputEvent[] {
  const rng = new Rng(18);
  const out: InputEvent[] = [];
  let price = 100;
  let offset = 0;
  for (let t = 0; t < 48 * HOUR; t += 20_000) {
    if (t > 30 * HOUR + MIN && t < 33 * HOUR) continue;
    price *= Math.exp(0.001 * rng.normal());
    out.push({ kind: 'trade', pos: { topic: 'trades', partition: 0, offset: offset++ }, value: { tsEvent: t, tsInit: t + 5, symbol: 'X', price, size: 1, side: rng.next() < 0.5 ? 'BUY' : 'SELL', tradeId: offset } });
    // An option chain a minute (the core features' implied-volatility inputs).
    if (t % MIN === 0) {
      const iv = 0.3 + 0.05 * rng.next();
      const tsInit = t + 10;
      const contracts = [95, 100, 105].flatMap((strike) => (['C', 'P'] as const).map((right) => ({ expiry: tsInit + 7 * 86_400_000, strike, right, bid: 1, ask: 1.2, last: 1.1, iv, delta: null, gamma: null, openInterest: 100, volume: 10 })));
      out.push({ kind: 'chain', pos: { topic: 'options', partition: 0, offset: offset++ }, value: { tsEvent: tsInit - 5, tsInit, underlying: 'X', spot: price, contracts } });
    }
  }
  return out;
}

function run(inputs: readonly InputEvent[], predictor: Predictor, config: GraphConfig, cut?: number): GraphEvent[] {
  const once = (from: number, to: number, snapshot?: string): { out: GraphEvent[]; snap: string } => {
    const stats = newGraphStats();
    const registry = new GraphStateRegistry();
    const src = new Subject<InputEvent>();
    const out: GraphEvent[] = [];
    const box: { failure: unknown } = { failure: null };
    buildGraph(src, { stats, predictor, config, state: registry }).subscribe({ next: (e) => out.push(e), error: (e: unknown) => (box.failure = e) });
    const identity = graphIdentity(config, predictor, 'test');
    if (snapshot !== undefined) restoreGraph(registry, stats, snapshot, identity);
    for (let i = from; i < to; i++) src.next(inputs[i] as InputEvent);
    if (box.failure !== null) throw box.failure instanceof Error ? box.failure : new Error(JSON.stringify(box.failure));
    return { out, snap: snapshotGraph(registry, stats, identity) };
  };
  if (cut === undefined) return once(0, inputs.length).out;
  const a = once(0, cut);
  return [...a.out, ...once(cut, inputs.length, a.snap).out];
}

const signals = (events: GraphEvent[]): Signal[] => events.flatMap((e) => (e.kind === 'signal' ? [e.signal] : []));
const sha = (events: GraphEvent[]): string => createHash('sha256').update(events.map(graphEventKey).join('\n')).digest('hex');

describe('the confluence graph (5m + 15m)', () => {
  const inputs = market();
  const m5 = toy(FS5, 'toy-5m', 'ret_3', (x) => Math.tanh(800 * x));
  const m15 = toy(FS15, 'toy-15m', 'bb_pctb_20', (x) => Math.tanh(4 * (x - 0.5)));
  const bundle: ConfluenceModel = confluenceModel('bundle-test', [{ interval: '5m', predictor: m5 }, { interval: '15m', predictor: m15 }], [1, 1], 2);
  const single5 = signals(run(inputs, m5, graphConfigFor(FS5)));
  const single15 = signals(run(inputs, m15, graphConfigFor(FS15)));
  const fusedEvents = run(inputs, bundle, graphConfigFor(FS5));
  const fused = signals(fusedEvents);

  test('one fused signal per base signal; each view is that timeframe alone, from its latest bar closed at or before the bar end', () => {
    assert.ok(single5.length > 300 && single15.length > 100, `${single5.length} 5m and ${single15.length} 15m signals`);
    assert.deepEqual(fused.map((s) => s.barEnd), single5.map((s) => s.barEnd));
    let withView = 0;
    for (const [i, s] of fused.entries()) {
      const base = single5[i] as Signal;
      const [v5, v15] = s.timeframes ?? [];
      assert.deepEqual([v5?.barEnd, v5?.pUp, v5?.pFlat, v5?.pDown], [base.barEnd, base.pUp, base.pFlat, base.pDown]);
      // The reference: the 15m model run alone, its latest signal with barEnd <= the base bar end.
      const ref = single15.filter((x) => x.barEnd <= s.barEnd).at(-1) ?? null;
      assert.equal(v15?.barEnd ?? null, ref?.barEnd ?? null, `view at ${s.barEnd}`);
      assert.equal(v15?.pUp ?? null, ref?.pUp ?? null);
      if (v15?.barEnd !== null && v15?.barEnd !== undefined) {
        withView++;
        assert.ok(v15.barEnd <= s.barEnd, 'no look-ahead');
      }
      assert.equal(s.modelId, 'bundle-test');
      assert.notEqual(s.id, base.id);
    }
    assert.ok(withView > 300, `${withView} fused signals with a 15m view`);
    // BUY/SELL only with both timeframes agreeing (k = 2).
    for (const s of fused) if (s.action !== 'HOLD') assert.ok((s.timeframes ?? []).every((t) => t.agrees), JSON.stringify(s));
    assert.ok(fused.some((s) => s.action !== 'HOLD'), 'some fused BUY/SELL');
    assert.ok(fused.some((s) => s.reason?.startsWith('agreement:')), 'some BUY/SELL vetoed by the agreement requirement');
  });

  test('across the gap the 15m bar ending 30:15, closed by the same input, is not used for the 5m bar ending 30:05', () => {
    assert.ok(single15.some((x) => x.barEnd === 30 * HOUR + 15 * MIN), 'the 15m bar ending 30:15 gave a signal');
    const s = fused.find((x) => x.barEnd === 30 * HOUR + 5 * MIN);
    assert.ok(s !== undefined, 'the 5m bar ending 30:05 gave a signal');
    assert.equal(s.timeframes?.[1]?.barEnd, 30 * HOUR);
  });

  test('replay determinism: twice gives the same sha256, and so does a run cut, checkpointed and restored', () => {
    const h = sha(fusedEvents);
    assert.equal(sha(run(inputs, bundle, graphConfigFor(FS5))), h);
    assert.equal(sha(run(inputs, bundle, graphConfigFor(FS5), Math.floor(inputs.length * 0.6))), h);
  });

  test('the non-signal outputs are the base graph alone', () => {
    const base = run(inputs, m5, graphConfigFor(FS5)).filter((e) => e.kind !== 'signal');
    assert.deepEqual(fusedEvents.filter((e) => e.kind !== 'signal').map(graphEventKey), base.map(graphEventKey));
  });
});
