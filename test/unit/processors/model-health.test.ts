import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { GraphStateRegistry } from '../../../processors/checkpoint/state-registry.ts';
import type { Flow } from '../../../processors/graph-events.ts';
import { DEFAULT_HEALTH_OPTIONS, modelHealth, psi, type HealthReference } from '../../../processors/health/model-health.ts';
import { classify } from '../../../processors/labels.ts';
import { Rng } from '../../../processors/math/rng.ts';
import type { Bar, FeatureVector, ModelHealth, Signal } from '../../../schemas/index.ts';

const STEP = 300_000;
const T0 = Date.UTC(2026, 0, 5);
const names = ['a', 'b'];
// training deciles of a standard normal (a) and of a uniform on [0, 1) (b), bins of a tenth each
const normalDeciles = [-1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816];
const reference = (o: Partial<HealthReference['options']> = {}, important = names, ci: [number, number] | null = [0.5, 0.6]): HealthReference => ({
  features: [
    { name: 'a', edges: normalDeciles, freq: new Array<number>(10).fill(0.1) },
    { name: 'b', edges: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], freq: new Array<number>(10).fill(0.1) },
  ],
  important,
  expectedHitRate: ci,
  horizonBars: 3,
  flatBand: 0.001,
  options: { ...DEFAULT_HEALTH_OPTIONS, window: 200, labelWindow: 100, every: 10, ...o },
});

interface Step {
  close: number;
  a: number;
  b: number;
  /** Class probabilities of the signal. */
  p: [number, number, number];
}

/** bar -> features -> signal per step and symbol, as the graph emits them. */
function flows(symbol: string, steps: readonly Step[]): Flow[] {
  const out: Flow[] = [];
  steps.forEach((s, i) => {
    const end = T0 + (i + 1) * STEP;
    const bar: Bar = { tsEvent: end, tsInit: end + 5, symbol, interval: '5m', start: end - STEP, end, open: s.close, high: s.close, low: s.close, close: s.close, volume: 1, buyVolume: null, vwap: s.close, trades: 1 };
    const vector: FeatureVector = { tsEvent: end, tsInit: end + 5, symbol, interval: '5m', barEnd: end, featureSetId: 't', featureSetHash: 'h', features: { a: s.a, b: s.b } };
    const signal: Signal = { id: `${symbol}${i}`, tsEvent: end, tsInit: end + 5, symbol, interval: '5m', barEnd: end, pUp: s.p[0], pFlat: s.p[1], pDown: s.p[2], action: 'HOLD', confidence: 0, modelId: 'm1', featureSetHash: 'h', inputs: [] };
    out.push({ kind: 'bar', bar, inputs: [{ topic: 'trades', partition: 0, fromOffset: 0, toOffset: 0 }] }, { kind: 'features', vector, inputs: [] }, { kind: 'signal', signal });
  });
  return out;
}

async function run(events: Flow[], ref: HealthReference, state?: GraphStateRegistry): Promise<ModelHealth[]> {
  const out = await lastValueFrom(from(events).pipe(modelHealth('m1', names, ref, '5m', state), toArray()));
  return out.flatMap((e) => (e.kind === 'health' ? [e.health] : []));
}

/** A random walk with features drawn from the training distributions (shifted after `shiftAt`). */
function market(n: number, seed: number, shiftAt = Infinity, shift = 0): Step[] {
  const rng = new Rng(seed);
  let close = 100;
  return Array.from({ length: n }, (_, i) => {
    close *= Math.exp(0.003 * rng.normal());
    const up = 0.2 + 0.6 * rng.next();
    return { close, a: rng.normal() + (i >= shiftAt ? shift : 0), b: rng.next(), p: [up, (1 - up) / 2, (1 - up) / 2] };
  });
}

describe('model-health monitor', () => {
  test('labels mature exactly horizonBars bars later, as the dataset defines them; the hit rate and confidence are counted by hand', async () => {
    const steps = market(60, 1);
    const reports = await run(flows('X', steps), reference({ every: 60 }));
    assert.equal(reports.length, 1);
    const r = reports[0] as ModelHealth;
    // by hand: signal i matures at bar i + 3 (the last 3 have not matured)
    let hits = 0;
    let conf = 0;
    for (let i = 0; i + 3 < 60; i++) {
      const s = steps[i] as Step;
      const label = classify(Math.log((steps[i + 3] as Step).close / s.close), 0.001);
      const predicted = s.p.indexOf(Math.max(...s.p));
      hits += label === predicted ? 1 : 0;
      conf += Math.max(...s.p);
    }
    assert.equal(r.matured, 57);
    assert.ok(Math.abs((r.hitRate as number) - hits / 57) < 1e-12);
    assert.ok(Math.abs((r.meanConfidence as number) - conf / 57) < 1e-12);
    assert.ok(Math.abs((r.calibrationGap as number) - (conf / 57 - hits / 57)) < 1e-12);
    assert.equal(r.psiMax, null, 'no PSI before the window is full');
    assert.equal(r.vectors, 60);
  });

  test('a missing horizon bar leaves a signal unlabelled (as the dataset does)', async () => {
    const steps = market(40, 2);
    const events = flows('X', steps).filter((e) => !(e.kind === 'bar' && e.bar.end === T0 + 10 * STEP));
    const [r] = await run(events, reference({ every: 40 }));
    // bar 10 is missing: signal 7 (horizon bar 10) is dropped when bar 11 arrives, and signal 10
    // has no close of its own bar to start from; 40 - 3 - 2 matured
    assert.equal(r?.matured, 35);
  });

  test('PSI: a stable stream stays quiet; a shift in an important feature is recommended within a bounded number of bars, naming it; an unimportant one is ignored', async () => {
    // (no holdout interval here: the random calls of this stream have no hit rate to live up to)
    const stable = await run(flows('X', market(1000, 3)), reference({}, names, null));
    assert.ok(stable.length === 100 && stable.every((r) => !r.retrain), JSON.stringify(stable.find((r) => r.retrain)));
    const worst = Math.max(...stable.map((r) => r.psiMax ?? 0));
    assert.ok(worst < 0.1, `largest PSI on a stable stream ${worst}`);

    const shifted = await run(flows('X', market(1000, 3, 500, 1.5)), reference({}, names, null));
    const first = shifted.find((r) => r.retrain);
    assert.ok(first !== undefined);
    const barsAfter = (first.tsEvent - T0) / STEP - 500;
    assert.ok(barsAfter > 0 && barsAfter <= 100, `recommended ${barsAfter} bars after the shift`);
    assert.deepEqual(first.driftedFeatures, ['a']);
    assert.match(first.reason ?? '', /PSI above 0.25 on a \(/);
    assert.equal(first.priority, 'high', 'one of two important features drifted: half');

    const ignored = await run(flows('X', market(1000, 3, 500, 1.5)), reference({}, ['b'], null));
    assert.ok(ignored.every((r) => !r.retrain));
  });

  test('a hit rate below the expected range recommends a retrain once the label window is full', async () => {
    // the model calls UP with confidence 0.8 while the market falls 1 % a bar: every label is DOWN
    const steps: Step[] = Array.from({ length: 300 }, (_, i) => ({ close: 100 * Math.exp(-0.01 * i), a: 0, b: 0.5, p: [0.8, 0.1, 0.1] }));
    const reports = await run(flows('X', steps), reference({ window: 1000 }));
    const first = reports.find((r) => r.retrain);
    assert.ok(first !== undefined);
    assert.equal(first.matured, 100);
    assert.equal(first.hitRate, 0);
    assert.equal(first.priority, 'high');
    assert.match(first.reason ?? '', /live hit rate 0.000 .* below the expected range \[0.500, 0.600\] over the last 100 matured signals/);
    assert.ok(Math.abs((first.calibrationGap as number) - 0.8) < 1e-12);
    assert.ok(reports.filter((r) => r.matured < 100).every((r) => !r.retrain), 'not before the window is full');
  });

  test('per symbol: interleaving another symbol changes nothing; a checkpoint restored mid-stream continues identically', async () => {
    const x = flows('X', market(600, 4, 300, 1));
    const y = flows('Y', market(600, 5));
    const inter: Flow[] = [];
    for (let i = 0; i < x.length; i += 3) inter.push(...x.slice(i, i + 3), ...y.slice(i, i + 3));
    const alone = await run(x, reference());
    const both = await run(inter, reference());
    assert.deepEqual(both.filter((r) => r.symbol === 'X'), alone);

    const cut = 900;
    const reg = new GraphStateRegistry();
    const head = await run(inter.slice(0, cut), reference(), reg);
    const snap = JSON.parse(JSON.stringify(reg.snapshotParts())) as Record<string, unknown>;
    const reg2 = new GraphStateRegistry();
    const ops = modelHealth('m1', names, reference(), '5m', reg2);
    reg2.restoreParts(snap);
    const tail = (await lastValueFrom(from(inter.slice(cut)).pipe(ops, toArray()))).flatMap((e) => (e.kind === 'health' ? [e.health] : []));
    assert.deepEqual([...head, ...tail], both);
  });

  test('psi: known value e = [0.5, 0.5], a = [0.25, 0.75] is 0.25 ln 2 + 0.25 ln 1.5 (by hand)', () => {
    assert.ok(Math.abs(psi([0.5, 0.5], [0.25, 0.75]) - (0.25 * Math.log(2) + 0.25 * Math.log(1.5))) < 1e-15);
  });
});
