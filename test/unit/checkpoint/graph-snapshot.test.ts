import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { MergedReader } from '../../../hosts/merged-reader.ts';
import {
  GRAPH_STATE_VERSION, GraphSnapshotMismatch, GraphStateRegistry, graphIdentity, readGraphSnapshotHeader, restoreGraph, snapshotGraph, type GraphIdentity,
} from '../../../processors/checkpoint/index.ts';
import { decodeState, encodeState } from '../../../processors/checkpoint/state-codec.ts';
import { CORE_FEATURE_SET, FULL_FEATURE_SET, fullFeatureSet, type FeatureSetDef } from '../../../processors/features/full/index.ts';
import { buildGraph, graphConfigFor, type GraphConfig } from '../../../processors/graph.ts';
import { newGraphStats, type GraphEvent, type GraphStats } from '../../../processors/graph-events.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { SequenceModel } from '../../../model/sequence.ts';
import type { InputEvent, Predictor } from '../../../processors/types.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';

/**
 * The checkpoint contract: for any cut point k of an input sequence, running inputs [0, k),
 * snapshotting the graph to text, restoring that text into a freshly built graph and running
 * inputs [k, n) gives exactly the outputs (deep-equal, -0 and NaN included) and stats of one run
 * over [0, n). The reference is the uncut replay itself, an independent run of the same code.
 */

const CODE = 'test-code-1';

/**
 * A deterministic stand-in for a trained model: a seeded linear softmax over the features that
 * have warmed up by the end of the short market (the full set's 1-hour indicators have not).
 */
function linearPredictor(fs: FeatureSetDef, inputs: readonly InputEvent[]): Predictor {
  const vectors = runSlice(inputs, 0, inputs.length, graphConfigFor(fs), null).out.flatMap((e) => (e.kind === 'features' ? [e.vector] : []));
  const last = vectors[vectors.length - 1];
  const names = fs.names.filter((x) => last?.features[x] !== null);
  assert.ok(names.length >= 10, `warmed-up features: ${names.join(',')}`);
  const rng = new Rng(7);
  const w = names.map(() => [rng.normal(), rng.normal(), rng.normal()] as const);
  return {
    modelId: `linear-${fs.id}`,
    featureSetHash: fs.hash,
    featureNames: names,
    predict(row) {
      const z = [0, 0, 0];
      for (let i = 0; i < row.length; i++) for (let c = 0; c < 3; c++) z[c] = (z[c] as number) + Math.tanh(row[i] as number) * ((w[i] as readonly number[])[c] as number);
      const m = Math.max(...z);
      const e = z.map((x) => Math.exp(x - m));
      const s = (e[0] as number) + (e[1] as number) + (e[2] as number);
      return [(e[0] as number) / s, (e[1] as number) / s, (e[2] as number) / s];
    },
  };
}

interface Run {
  out: GraphEvent[];
  /** outputs emitted while processing input i: out[ends[i-1] .. ends[i]) */
  ends: number[];
  stats: GraphStats;
  registry: GraphStateRegistry;
}

/** Runs inputs[from, to) through a fresh graph, restored from `snapshot` first when given. */
function runSlice(inputs: readonly InputEvent[], from: number, to: number, config: GraphConfig, predictor: Predictor | null, snapshot?: string, identity?: GraphIdentity): Run {
  const stats = newGraphStats();
  const registry = new GraphStateRegistry();
  const src = new Subject<InputEvent>();
  const out: GraphEvent[] = [];
  const box: { failure: unknown } = { failure: null };
  buildGraph(src, { stats, predictor, config, state: registry }).subscribe({ next: (e) => out.push(e), error: (e: unknown) => (box.failure = e) });
  if (snapshot !== undefined) restoreGraph(registry, stats, snapshot, identity ?? graphIdentity(config, predictor, CODE));
  const ends: number[] = [];
  for (let i = from; i < to; i++) {
    src.next(inputs[i] as InputEvent);
    ends.push(out.length);
  }
  if (box.failure !== null) throw box.failure instanceof Error ? box.failure : new Error(JSON.stringify(box.failure));
  return { out, ends, stats, registry };
}

/** A small seeded market from the synthetic source, read back in merged order, plus bad inputs. */
async function syntheticInputs(): Promise<InputEvent[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-ckpt-'));
  try {
    const el = await openEmbeddedLog(join(dir, 'log'));
    try {
      await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.2, seed: 2027, signalStrength: 1 }));
      const inputs: InputEvent[] = [];
      await new MergedReader(el.log, (t, b) => el.serde.decodeAs(t, b)).drain(Number.POSITIVE_INFINITY, (e) => inputs.push(e));
      // Dead letters and a late trade, so their counters and reasons are state the cut must carry.
      const tradeAt = (i: number): InputEvent => {
        for (let j = i; j < inputs.length; j++) if ((inputs[j] as InputEvent).kind === 'trade') return inputs[j] as InputEvent;
        throw new Error('no trade');
      };
      const bad = tradeAt(1_000);
      const late = tradeAt(2_000);
      if (bad.kind !== 'trade' || late.kind !== 'trade') throw new Error('unreachable');
      inputs.splice(1_500, 0, { ...bad, value: { ...bad.value, price: -1 } });
      inputs.splice(3_000, 0, { kind: 'undecodable', pos: { topic: 'trades', partition: 0, offset: 1e9 }, key: 'X', tsInit: 0, reason: 'test: bad bytes', payload: new Uint8Array([1, 2, 3]) });
      inputs.splice(4_000, 0, { ...late, value: { ...late.value, tsEvent: late.value.tsEvent - 3_600_000 } });
      return inputs;
    } finally {
      await el.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let inputs: InputEvent[] = [];
before(async () => {
  inputs = await syntheticInputs();
});

// 15m: another signal interval (its own bar intervals, multi-timeframe blocks and hash).
for (const fs of [CORE_FEATURE_SET, FULL_FEATURE_SET, fullFeatureSet({ signalInterval: '15m' })]) {
  describe(`graph snapshot + tail = replay from offset 0 (${fs.id}, ${fs.signalInterval})`, () => {
    const config = graphConfigFor(fs);
    let predictor!: Predictor;
    before(() => {
      predictor = linearPredictor(fs, inputs);
    });

    test('at random cuts, in open bar windows, at watermark boundaries, and chained', () => {
      const n = inputs.length;
      const full = runSlice(inputs, 0, n, config, predictor);
      const kinds = new Set(full.out.map((e) => e.kind));
      for (const k of ['bar', 'features', 'signal', 'late', 'deadLetter']) assert.ok(kinds.has(k as GraphEvent['kind']), `the replay has ${k} events`);
      // A 15-minute signal bar comes a third as often as a 5-minute one.
      assert.ok(full.stats.signals > (fs.signalInterval === '5m' ? 20 : 5), `signals ${full.stats.signals}`);

      const emitted = (i: number): GraphEvent[] => full.out.slice(i === 0 ? 0 : full.ends[i - 1], full.ends[i]);
      const closesBar = (i: number): boolean => emitted(i).some((e) => e.kind === 'bar');
      // A watermark boundary: input b closes a bar. Cut right before it and right after it.
      const boundary = inputs.findIndex((_, i) => i > n / 3 && closesBar(i));
      // Mid-window: no bar closed for a while before the cut or at it.
      let mid = Math.floor(n / 2);
      while (closesBar(mid) || closesBar(mid - 1) || closesBar(mid - 2)) mid++;
      const rng = new Rng(14);
      const cuts = [0, 1, boundary, boundary + 1, mid, n - 1, n];
      for (let i = 0; i < 10; i++) cuts.push(1 + Math.floor(rng.next() * (n - 1)));

      for (const k of cuts) {
        const head = runSlice(inputs, 0, k, config, predictor);
        const text = snapshotGraph(head.registry, head.stats, graphIdentity(config, predictor, CODE));
        if (k === mid) {
          const open = (decodeState(text) as { parts: { bars: { agg: { open: { trades: number }[] } } } }).parts.bars.agg.open;
          assert.ok(open.some((w) => w.trades > 1), 'the mid cut has open windows with trades in them');
        }
        assert.equal(readGraphSnapshotHeader(text).inputs, k);
        const tail = runSlice(inputs, k, n, config, predictor, text);
        assert.deepStrictEqual([...head.out, ...tail.out], full.out, `cut at ${k} of ${n}`);
        assert.deepStrictEqual(tail.stats, full.stats, `stats, cut at ${k}`);
      }

      // Chained: snapshot, restore, go on, snapshot again, restore, finish.
      const [a, b] = [Math.floor(n / 4), Math.floor((3 * n) / 4)];
      const r1 = runSlice(inputs, 0, a, config, predictor);
      const s1 = snapshotGraph(r1.registry, r1.stats, graphIdentity(config, predictor, CODE));
      const r2 = runSlice(inputs, a, b, config, predictor, s1);
      const s2 = snapshotGraph(r2.registry, r2.stats, graphIdentity(config, predictor, CODE));
      const r3 = runSlice(inputs, b, n, config, predictor, s2);
      assert.deepStrictEqual([...r1.out, ...r2.out, ...r3.out], full.out);
    });

    test('a snapshot of another code version, model, feature set or configuration is refused', () => {
      const head = runSlice(inputs, 0, 2_000, config, predictor);
      const id = graphIdentity(config, predictor, CODE);
      const text = snapshotGraph(head.registry, head.stats, id);
      const other: [keyof GraphIdentity, GraphIdentity][] = [
        ['codeVersion', { ...id, codeVersion: 'test-code-2' }],
        ['modelId', { ...id, modelId: 'another-model' }],
        ['featureSetHash', { ...id, featureSetHash: 'f'.repeat(64) }],
        ['configHash', graphIdentity({ ...config, bars: { ...config.bars, maxOutOfOrdernessMs: 5_000 } }, predictor, CODE)],
      ];
      for (const [field, wrong] of other) {
        assert.throws(() => runSlice(inputs, 2_000, 2_001, config, predictor, text, wrong), (err: unknown) => err instanceof GraphSnapshotMismatch && err.field === field, field);
      }
      const older = text.replace(`"stateVersion":${GRAPH_STATE_VERSION}`, `"stateVersion":${GRAPH_STATE_VERSION - 1}`);
      assert.notEqual(older, text);
      assert.throws(() => restoreGraph(new GraphStateRegistry(), newGraphStats(), older, id), (err: unknown) => err instanceof GraphSnapshotMismatch && err.field === 'stateVersion');
    });
  });
}

/**
 * A sequence model (model/sequence.ts, seeded random weights, window 4) as the graph's predictor:
 * the infer operator keeps each symbol's last 4 feature rows, and a cut anywhere must carry them.
 */
function sequencePredictor(fs: FeatureSetDef, base: Predictor): Predictor {
  const rng = new Rng(99);
  const dim = base.featureNames.length;
  const conv = (inDim: number) => ({ inDim, outDim: 6, kernel: Array.from({ length: 2 * inDim * 6 }, () => rng.normal() * 0.5), bias: Array.from({ length: 6 }, () => rng.normal() * 0.1) });
  const model = new SequenceModel({ window: 4, dim, mean: Array(dim).fill(0), std: Array(dim).fill(1), convs: [conv(dim), conv(6)], dense: { inDim: 6, kernel: Array.from({ length: 18 }, () => rng.normal()), bias: [0, 0, 0] } });
  return {
    modelId: `sequence-${fs.id}`,
    featureSetHash: fs.hash,
    featureNames: base.featureNames,
    window: 4,
    predict(row) {
      const p = model.score(Array.from(row, (x) => Math.tanh(x)));
      return [p[0] as number, p[1] as number, p[2] as number];
    },
  };
}

/**
 * The same kind of model scored incrementally (openWindow, D76), as ModelPredictor does for the
 * sequence family; `incremental: false` leaves openWindow out, so the operator concatenates.
 */
function streamingSequencePredictor(fs: FeatureSetDef, base: Predictor, incremental: boolean): Predictor {
  const rng = new Rng(7);
  const dim = base.featureNames.length;
  const conv = (inDim: number) => ({ inDim, outDim: 5, kernel: Array.from({ length: 2 * inDim * 5 }, () => rng.normal() * 0.05), bias: Array.from({ length: 5 }, () => rng.normal() * 0.1) });
  const model = new SequenceModel({ window: 8, dim, mean: Array(dim).fill(0), std: Array(dim).fill(1), convs: [conv(dim), conv(5), conv(5)], dense: { inDim: 5, kernel: Array.from({ length: 15 }, () => rng.normal()), bias: [0, 0, 0] } });
  const triple = (p: Float64Array): [number, number, number] => [p[0] as number, p[1] as number, p[2] as number];
  return {
    modelId: `sequence-stream-${fs.id}`,
    featureSetHash: fs.hash,
    featureNames: base.featureNames,
    window: 8,
    predict: (row) => triple(model.score(row)),
    ...(incremental
      ? {
          openWindow: () => {
            const s = model.stream();
            return { push: (row: Float64Array) => s.push(row), predict: () => triple(s.score()) };
          },
        }
      : {}),
  };
}

describe('a sequence model scored incrementally (D76): the same signals as the whole window, and the scorers rebuilt from the snapshot', () => {
  const config = graphConfigFor(CORE_FEATURE_SET);
  test('replay with and without incremental scoring gives the same events, bit for bit; cut anywhere, snapshot + tail = one run', () => {
    const base = linearPredictor(CORE_FEATURE_SET, inputs);
    const predictor = streamingSequencePredictor(CORE_FEATURE_SET, base, true);
    const n = inputs.length;
    const full = runSlice(inputs, 0, n, config, predictor);
    const whole = runSlice(inputs, 0, n, config, streamingSequencePredictor(CORE_FEATURE_SET, base, false));
    const signals = full.out.filter((e) => e.kind === 'signal');
    assert.ok(signals.length > 20, `signals ${signals.length}`);
    // Not all one class: the probabilities vary with the windows.
    assert.ok(new Set(signals.map((e) => (e.kind === 'signal' ? e.signal.pUp : 0))).size > signals.length / 2);
    assert.deepStrictEqual(full.out, whole.out);
    const rng = new Rng(16);
    const cuts = [1, Math.floor(n / 2), n - 1];
    for (let i = 0; i < 4; i++) cuts.push(1 + Math.floor(rng.next() * (n - 1)));
    for (const k of cuts) {
      const head = runSlice(inputs, 0, k, config, predictor);
      const text = snapshotGraph(head.registry, head.stats, graphIdentity(config, predictor, CODE));
      const tail = runSlice(inputs, k, n, config, predictor, text);
      assert.deepStrictEqual([...head.out, ...tail.out], full.out, `cut at ${k} of ${n}`);
    }
  });
});

describe('graph snapshot + tail = replay from offset 0, with a sequence model (its last feature rows per symbol are graph state)', () => {
  const config = graphConfigFor(CORE_FEATURE_SET);
  test('at cuts before, between and after signals, and chained; the windows are in the snapshot and matter', () => {
    const predictor = sequencePredictor(CORE_FEATURE_SET, linearPredictor(CORE_FEATURE_SET, inputs));
    const n = inputs.length;
    const full = runSlice(inputs, 0, n, config, predictor);
    const signals = full.out.filter((e) => e.kind === 'signal').length;
    const vectors = full.out.filter((e) => e.kind === 'features').length;
    assert.ok(signals > 20, `signals ${signals}`);
    // No signal until a symbol has 4 complete vectors.
    assert.ok(signals < vectors);
    const firstSignal = full.out.findIndex((e) => e.kind === 'signal');
    const cutAfterFirst = full.ends.findIndex((end) => end > firstSignal) + 1;
    const rng = new Rng(15);
    const cuts = [0, 1, cutAfterFirst, Math.floor(n / 2), n - 1, n];
    for (let i = 0; i < 4; i++) cuts.push(1 + Math.floor(rng.next() * (n - 1)));
    for (const k of cuts) {
      const head = runSlice(inputs, 0, k, config, predictor);
      const text = snapshotGraph(head.registry, head.stats, graphIdentity(config, predictor, CODE));
      const tail = runSlice(inputs, k, n, config, predictor, text);
      assert.deepStrictEqual([...head.out, ...tail.out], full.out, `cut at ${k} of ${n}`);
    }
    const mid = Math.floor(n / 2);
    const head = runSlice(inputs, 0, mid, config, predictor);
    const text = snapshotGraph(head.registry, head.stats, graphIdentity(config, predictor, CODE));
    const part = (decodeState(text) as { parts: { infer: { window: number; rows: [string, number[][]][] } } }).parts.infer;
    assert.equal(part.window, 4);
    assert.ok(part.rows.length >= 2 && part.rows.every(([, r]) => r.length === 4), 'a full window per symbol at mid-stream');
    // Without the windows (emptied in the snapshot) the tail's signals differ: the state is needed.
    const doc = decodeState(text) as { parts: { infer: { rows: unknown[] } } };
    doc.parts.infer.rows = [];
    const tail = runSlice(inputs, mid, n, config, predictor, encodeState(doc));
    assert.notDeepStrictEqual([...head.out, ...tail.out], full.out);
    // Chained.
    const [a, b] = [Math.floor(n / 4), Math.floor((3 * n) / 4)];
    const r1 = runSlice(inputs, 0, a, config, predictor);
    const r2 = runSlice(inputs, a, b, config, predictor, snapshotGraph(r1.registry, r1.stats, graphIdentity(config, predictor, CODE)));
    const r3 = runSlice(inputs, b, n, config, predictor, snapshotGraph(r2.registry, r2.stats, graphIdentity(config, predictor, CODE)));
    assert.deepStrictEqual([...r1.out, ...r2.out, ...r3.out], full.out);
  });
});

test('the state codec keeps NaN, ±Infinity and -0, which plain JSON loses', () => {
  const v = { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: [Number.NEGATIVE_INFINITY, -0, 0, 0.1 + 0.2, 5e-324] };
  assert.deepStrictEqual(decodeState(encodeState(v)), v);
  assert.notDeepStrictEqual(JSON.parse(JSON.stringify(v)), v);
});
