/**
 * The pattern statistics: known values of the running statistics, the point-in-time property
 * (perturbing later bars changes nothing any earlier bar gave), exact replay, and checkpoint
 * snapshot/restore, through the same graph every host runs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { GraphStateRegistry } from '../../../processors/checkpoint/state-registry.ts';
import { PATTERN_NAMES, PatternStatsEngine, patternsFeatureSet, RunningStats, PATTERN_STATS_DEFAULTS } from '../../../processors/features/patterns/index.ts';
import { buildGraph, graphConfigFor, type GraphConfig } from '../../../processors/graph.ts';
import { newGraphStats, type GraphEvent } from '../../../processors/graph-events.ts';
import { Rng } from '../../../processors/math/rng.ts';
import type { InputEvent } from '../../../processors/types.ts';
import type { Bar } from '../../../schemas/bar.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 6, 1);

/** Seeded 1-minute candles: a random walk with some persistence, shadows on both sides. */
function candles(n: number, seed: number): Bar[] {
  const rng = new Rng(seed);
  const out: Bar[] = [];
  let price = 100;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const r = 0.3 * prev + 0.002 * rng.normal();
    const open = price;
    const close = open * Math.exp(r);
    const high = Math.max(open, close) * Math.exp(Math.abs(0.001 * rng.normal()));
    const low = Math.min(open, close) * Math.exp(-Math.abs(0.001 * rng.normal()));
    const start = T0 + i * MIN;
    out.push({ tsEvent: start + MIN, tsInit: start + MIN, symbol: 'SYN', interval: '1m', start, end: start + MIN, open, high, low, close, volume: 10, buyVolume: 5, vwap: (open + close) / 2, trades: 3 });
    price = close;
    prev = r;
  }
  return out;
}

const inputs = (bars: readonly Bar[]): InputEvent[] => bars.map((value, offset) => ({ kind: 'candle', pos: { topic: 'candles', partition: 0, offset }, value }));

function run(events: readonly InputEvent[], config: GraphConfig, registry?: GraphStateRegistry, restore?: Record<string, unknown>): GraphEvent[] {
  const src = new Subject<InputEvent>();
  const out: GraphEvent[] = [];
  buildGraph(src, { stats: newGraphStats(), config, ...(registry ? { state: registry } : {}) }).subscribe({ next: (e) => out.push(e) });
  if (registry && restore) registry.restoreParts(restore);
  for (const e of events) src.next(e);
  return out;
}

const vectors = (out: readonly GraphEvent[]) => out.flatMap((e) => (e.kind === 'features' ? [e.vector] : []));

describe('RunningStats', () => {
  test('t-statistic of 0.01..0.05 is 3√2 (mean 0.03, sample sd 0.01·√2.5, n 5)', () => {
    const s = new RunningStats();
    for (const r of [0.01, 0.02, 0.03, 0.04, 0.05]) s.add(r);
    const sum = s.summary(0, { ...PATTERN_STATS_DEFAULTS, minCount: 5, priorStrength: 5 });
    assert.equal(sum.count, 5);
    assert.equal(sum.winRate, 1);
    assert.ok(Math.abs((sum.meanReturn as number) - 0.03) < 1e-15);
    assert.ok(Math.abs((sum.t as number) - 3 * Math.SQRT2) < 1e-12, String(sum.t));
    // Shrunk halfway to the baseline with κ = n: (5·0.03 + 5·0.01) / 10 = 0.02.
    assert.ok(Math.abs((s.summary(0.01, { ...PATTERN_STATS_DEFAULTS, minCount: 5, priorStrength: 5 }).shrunk as number) - 0.02) < 1e-15);
    assert.ok(Math.abs(s.edge(0.01, { ...PATTERN_STATS_DEFAULTS, minCount: 5, priorStrength: 5 }) - 0.01) < 1e-15);
  });

  test('information coefficient: +1 / -1 for edges moving exactly with / against the returns, null when the edge never varied', () => {
    const o = { ...PATTERN_STATS_DEFAULTS, minCount: 5 };
    const up = new RunningStats();
    const down = new RunningStats();
    const flat = new RunningStats();
    [0.01, 0.02, 0.03, 0.04, 0.05].forEach((r, i) => {
      up.add(r, 2 * i - 3);
      down.add(r, -i);
      flat.add(r, 0);
    });
    assert.ok(Math.abs((up.summary(0, o).ic as number) - 1) < 1e-12);
    assert.ok(Math.abs((down.summary(0, o).ic as number) + 1) < 1e-12);
    assert.equal(flat.summary(0, o).ic, null);
  });

  test('below minCount: no t, no shrunk estimate, edge 0', () => {
    const s = new RunningStats();
    for (const r of [0.05, 0.07, 0.06]) s.add(r);
    const sum = s.summary(0, PATTERN_STATS_DEFAULTS);
    assert.equal(sum.count, 3);
    assert.equal(sum.t, null);
    assert.equal(sum.shrunk, null);
    assert.equal(sum.ic, null);
    assert.equal(s.edge(0, PATTERN_STATS_DEFAULTS), 0);
  });
});

describe('PatternStatsEngine', () => {
  const fiveMin = (bars: Bar[]): Bar[] => {
    const out: Bar[] = [];
    for (let i = 0; i + 5 <= bars.length; i += 5) {
      const g = bars.slice(i, i + 5);
      const a = g[0] as Bar, z = g[4] as Bar;
      out.push({ ...a, interval: '5m', end: z.end, tsEvent: z.end, tsInit: z.end, close: z.close, high: Math.max(...g.map((b) => b.high)), low: Math.min(...g.map((b) => b.low)) });
    }
    return out;
  };
  const opts = { ...PATTERN_STATS_DEFAULTS, minCount: 5 };

  test('an outcome enters the statistics only once its horizon bar has closed', () => {
    const bars = fiveMin(candles(5 * 400, 3));
    const e = new PatternStatsEngine(5 * MIN, opts);
    let firstCtx = -1;
    bars.forEach((b, i) => {
      const r = e.add(b);
      if (r.context !== null && firstCtx < 0) firstCtx = i;
      const known = e.table('5m').filter((row) => row.pattern === 'all_bars').reduce((s, row) => s + row.count, 0);
      // Bars with a context at indices firstCtx..i - horizon have matured (no gaps here).
      assert.equal(known, firstCtx < 0 ? 0 : Math.max(0, i - opts.horizonBars - firstCtx + 1), `bar ${i}`);
    });
    assert.ok(firstCtx > 0);
  });

  test('a foreign or corrupted state is refused, the engine left as it was', () => {
    const e = new PatternStatsEngine(5 * MIN, opts);
    const bars = fiveMin(candles(5 * 50, 5));
    for (const b of bars) e.add(b);
    const before = JSON.stringify(e.snapshot());
    assert.throws(() => e.restore({ v: 2 }), TypeError);
    assert.throws(() => e.restore({ ...(JSON.parse(before) as object), cells: [['hammer|up|high', [1, 2]]] }), TypeError);
    assert.throws(() => e.restore({ ...(JSON.parse(before) as object), pending: [[1, 'x', []]] }), TypeError);
    assert.equal(JSON.stringify(e.snapshot()), before);
  });

  test('perturbing bars after a cut changes nothing the earlier bars gave', () => {
    const bars = fiveMin(candles(5 * 1500, 4));
    const cut = 1000;
    const perturbed = bars.map((b, i) => (i <= cut ? b : { ...b, close: b.close * 1.01, high: b.high * 1.02 }));
    const a = new PatternStatsEngine(5 * MIN, opts);
    const b = new PatternStatsEngine(5 * MIN, opts);
    const ra = bars.map((x) => a.add(x));
    const rb = perturbed.map((x) => b.add(x));
    assert.deepEqual(rb.slice(0, cut + 1), ra.slice(0, cut + 1));
    assert.notDeepEqual(rb.slice(cut + 1), ra.slice(cut + 1), 'the perturbation must show later (else the test proves nothing)');
    assert.ok(ra.slice(0, cut + 1).some((r) => r.edges.some((x) => x !== null && x !== 0)), 'some edges before the cut are non-zero');
  });
});

describe('patterns-v1 through the graph', () => {
  // Small minCount so that edges appear within a short market; 1h context needs 71 hours.
  const fs = patternsFeatureSet('5m', { minCount: 5 });
  const config = graphConfigFor(fs);
  const bars = candles(60 * 90, 11);
  const all = inputs(bars);

  test('names: core-v1 unchanged first, then one column per pattern and the aggregates', () => {
    assert.equal(fs.id, 'patterns-v1');
    assert.deepEqual(fs.names.slice(-PATTERN_NAMES.length - 4), [...PATTERN_NAMES.map((n) => `pat_${n}`), 'pat_fired', 'pat_edge', 'pat_edge_1m', 'pat_edge_15m', 'pat_edge_1h'].slice(-PATTERN_NAMES.length - 4));
    assert.notEqual(fs.hash, patternsFeatureSet('5m').hash, 'the parameters are part of the hash');
  });

  test('replay twice: identical outputs; perturbing later candles leaves earlier vectors as they were', () => {
    const first = run(all, config);
    assert.deepEqual(run(all, config), first);
    const v = vectors(first);
    assert.ok(v.length > 900);
    const nonZero = v.filter((x) => typeof x.features.pat_edge === 'number' && x.features.pat_edge !== 0).length;
    assert.ok(nonZero > 10, `vectors with a non-zero edge: ${nonZero}`);
    assert.ok(v.some((x) => typeof x.features.pat_edge_1h === 'number'), 'the 1h timeframe contributes');

    const cutEnd = T0 + 60 * MIN * 70;
    const changed = bars.map((b) => (b.end <= cutEnd ? b : { ...b, close: b.close * 0.99, low: Math.min(b.low, b.close * 0.99) }));
    const w = vectors(run(inputs(changed), config));
    const before = (xs: typeof v) => xs.filter((x) => x.barEnd <= cutEnd);
    assert.ok(before(v).some((x) => typeof x.features.pat_edge === 'number' && x.features.pat_edge !== 0), 'non-zero edges before the cut');
    assert.ok(before(v).some((x) => typeof x.features.pat_edge_15m === 'number'), 'the 15m timeframe before the cut');
    assert.deepEqual(before(w), before(v));
    assert.notDeepEqual(w.filter((x) => x.barEnd > cutEnd), v.filter((x) => x.barEnd > cutEnd));
  });

  test('snapshot at a cut and restore into a fresh graph: the same outputs as one run', () => {
    const whole = run(all, config);
    const k = 3000;
    const reg = new GraphStateRegistry();
    const head = run(all.slice(0, k), config, reg);
    const snap = JSON.parse(JSON.stringify(reg.snapshotParts())) as Record<string, unknown>;
    const tail = run(all.slice(k), config, new GraphStateRegistry(), snap);
    assert.deepEqual([...head, ...tail], whole);
  });
});
