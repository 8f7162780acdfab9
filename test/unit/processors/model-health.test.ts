import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { GraphStateRegistry } from '../../../processors/checkpoint/state-registry.ts';
import type { Flow } from '../../../processors/graph-events.ts';
import { DEFAULT_HEALTH_OPTIONS, modelHealth, psi, type HealthReference, type ValidationBand } from '../../../processors/health/model-health.ts';
import { wilsonInterval } from '../../../processors/math/wilson.ts';
import { classify } from '../../../processors/labels.ts';
import { Rng } from '../../../processors/math/rng.ts';
import type { Bar, FeatureVector, HealthBand, ModelHealth, Signal } from '../../../schemas/index.ts';

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

  describe('live hit rate per confidence band', () => {
    // The manifest's bands (model/confidence-bands.ts CONFIDENCE_EDGES) with test-split figures:
    // [count, hits] per band; the interval is the same Wilson function the manifest uses.
    const edges = [1 / 3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
    const validation = (counts: [number, number][]): ValidationBand[] =>
      counts.map(([count, hits], b) => ({ from: edges[b] as number, to: edges[b + 1] as number, count, hitRate: count === 0 ? null : hits / count, ci95: wilsonInterval(hits, count) }));
    const VALIDATION: [number, number][] = [[0, 0], [500, 200], [400, 200], [100, 60], [50, 35], [200, 120], [10, 9]];
    // The market falls 1 % a bar, so every label (3 bars, -3 %) is DOWN: an UP call misses, a DOWN call hits.
    const up = (c: number): [number, number, number] => [c, (1 - c) * 0.6, (1 - c) * 0.4];
    const down = (c: number): [number, number, number] => [(1 - c) * 0.4, (1 - c) * 0.6, c];
    const calls: [number, number, number][] = [
      ...Array.from({ length: 20 }, () => up(0.85)), // band [0.8, 0.9): 20 matured, 0 hits
      ...Array.from({ length: 29 }, (_, i) => (i === 14 ? down(0.45) : up(0.45))), // [0.4, 0.5): 29 matured, 1 hit
      ...Array.from({ length: 30 }, () => down(0.55)), // [0.5, 0.6): 30 matured, 30 hits
      ...Array.from({ length: 3 }, () => up(0.65)), // [0.6, 0.7): the last 3 signals, not matured at the report
    ];
    const steps: Step[] = calls.map((p, i) => ({ close: 100 * Math.exp(-0.01 * i), a: 0, b: 0.5, p }));
    const bandsOf = async (o: Partial<HealthReference['options']>, v = VALIDATION): Promise<{ r: ModelHealth; bands: HealthBand[] }> => {
      const reports = await run(flows('X', steps), { ...reference({ window: 1000, every: calls.length, ...o }), bands: validation(v) });
      assert.equal(reports.length, 1);
      const r = reports[0] as ModelHealth;
      return { r, bands: r.bands as HealthBand[] };
    };

    test('each matured signal counts in the band of its top probability; counts, hit rates and Wilson intervals match the hand count', async () => {
      const { r, bands } = await bandsOf({});
      // By hand (the comments above): 20 + 29 + 30 = 79 matured, 0 + 1 + 30 = 31 hits overall.
      assert.equal(r.matured, 79);
      assert.equal(r.hitRate, 31 / 79);
      assert.deepEqual(bands.map((b) => [b.from, b.to, b.matured, b.hits]), [
        [1 / 3, 0.4, 0, 0],
        [0.4, 0.5, 29, 1],
        [0.5, 0.6, 30, 30],
        [0.6, 0.7, 0, 0],
        [0.7, 0.8, 0, 0],
        [0.8, 0.9, 20, 0],
        [0.9, 1, 0, 0],
      ]);
      const [b0, b1, b2, b3, , b5] = bands as [HealthBand, HealthBand, HealthBand, HealthBand, HealthBand, HealthBand];
      // Live intervals against Newcombe (1998), Stat. Med. 17:857-872, Table I, method 3: 1/29 -> 0.0061-0.1718, 0/20 -> 0-0.1611.
      assert.deepEqual([b1.hitRate, b1.ci95Lo?.toFixed(4), b1.ci95Hi?.toFixed(4)], [1 / 29, '0.0061', '0.1718']);
      assert.deepEqual([b5.hitRate, b5.ci95Lo?.toFixed(4), b5.ci95Hi?.toFixed(4)], [0, '0.0000', '0.1611']);
      // 30/30 by hand: z = 1.96, z^2/n = 0.128049, centre = (1 + 0.064025) / 1.128049 = 0.943245,
      // half = (1.96 / 1.128049) * sqrt(z^2 / (4 n^2)) = 1.737478 * 0.032666 = 0.056757 -> 0.8865-1.
      assert.deepEqual([b2.hitRate, b2.ci95Lo?.toFixed(4), b2.ci95Hi?.toFixed(4)], [1, '0.8865', '1.0000']);
      // Validation figures are the manifest's, band for band.
      assert.deepEqual([b2.validationCount, b2.validationHitRate, b2.validationCi95Lo, b2.validationCi95Hi], [400, 0.5, ...(wilsonInterval(200, 400) as [number, number])]);
      assert.deepEqual([b0.validationCount, b0.validationHitRate, b0.validationCi95Lo], [0, null, null]);
      // An empty live band: no rate, no interval, a small sample, no claim.
      assert.deepEqual([b3.hitRate, b3.ci95Lo, b3.ci95Hi, b3.smallSample, b3.difference], [null, null, null, true, null]);
      // 29 and 20 matured (< 30): no difference is claimed although the intervals are far apart
      // (1/29: 0.0061-0.1718 against validation 200/500: 0.357-0.444); 30/30 against 200/400 is 'above'.
      assert.deepEqual(bands.map((b) => [b.smallSample, b.difference]), [
        [true, null],
        [true, null],
        [false, 'above'],
        [true, null],
        [true, null],
        [true, null],
        [true, null],
      ]);
    });

    test('the small-sample minimum and the interval overlap decide the claim: below, above, same', async () => {
      // With a minimum of 20: 0/20 against validation 120/200 (0.531-0.665) and 1/29 against 200/400 are 'below'.
      const low = await bandsOf({ bandMinSamples: 20 });
      assert.deepEqual(low.bands.map((b) => b.difference), [null, 'below', 'above', null, null, 'below', null]);
      // 30/30 (0.8865-1) against a validation band of 29/30 (0.833-0.994): the intervals overlap, 'same'.
      const v = VALIDATION.map((x, b): [number, number] => (b === 2 ? [30, 29] : x));
      assert.equal((await bandsOf({}, v)).bands[2]?.difference, 'same');
      // A validation band with fewer rows than the minimum claims nothing either ([0.9, 1] has 10).
      assert.ok((await bandsOf({ bandMinSamples: 5 })).bands[6]?.smallSample);
    });

    test('without the manifest bands the report has no per-band field (the v1 report); the other fields do not depend on the bands', async () => {
      const plain = await run(flows('X', steps), reference({ window: 1000, every: calls.length }));
      assert.ok(!('bands' in (plain[0] as object)));
      const { r } = await bandsOf({});
      const rest: Partial<ModelHealth> = { ...r };
      delete rest.bands;
      assert.deepEqual(rest, plain[0]);
    });
  });
});
