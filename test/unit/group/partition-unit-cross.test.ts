import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cutsFromCommitted, unitCommit } from '../../../hosts/group/group-processor.ts';
import { cutCovers, PartitionUnit, type Cut } from '../../../hosts/group/partition-unit.ts';
import { UnitCheckpoints } from '../../../hosts/group/unit-checkpoints.ts';
import { graphIdentity } from '../../../processors/checkpoint/index.ts';
import { Rng } from '../../../processors/math/rng.ts';
import { LogCheckpointStore } from '../../../storage/checkpoints/log-checkpoint-store.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { crossFeatureSet } from '../../../processors/features/cross/index.ts';
import { graphConfigFor } from '../../../processors/graph.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import type { Predictor } from '../../../processors/types.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { INPUT_TOPICS } from '../../../hosts/merged-reader.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { graphEventKey as key } from '../../helpers/toy-predictor.ts';

const FS = crossFeatureSet('5m', { reference: 'BTC' });
const config = graphConfigFor(FS);
/** A deterministic stand-in model over cross-v1: probabilities from the correlation and the relative strength. */
const predictor: Predictor = {
  modelId: 'cross-toy',
  featureSetHash: FS.hash,
  featureNames: FS.names,
  predict(row) {
    const i = FS.names.indexOf('xa_corr_30');
    const j = FS.names.indexOf('xa_rs_12');
    const a = Math.abs(Math.tanh(row[i] ?? 0)) / 2;
    const b = Math.abs(Math.tanh(100 * (row[j] ?? 0))) / 2;
    return [a, 1 - a - b / 2, b / 2];
  },
};
const clock = { kind: 'live' as const, now: () => 0 };
const symbolOf = (e: GraphEvent): string => {
  switch (e.kind) {
    case 'bar': return e.bar.symbol;
    case 'features': return e.vector.symbol;
    case 'signal': return e.signal.symbol;
    case 'late': return e.late.symbol;
    case 'deadLetter': return e.deadLetter.key;
    case 'health': return e.health.symbol;
  }
};

/**
 * D61: with a cross-symbol set, a unit that also reads the reference's partition and emits only
 * its own symbols' outputs gives exactly the whole replay's outputs for them, in order; and a unit
 * rebuilt at a committed cut (own offsets + the reference position carried in the commit
 * metadata), from a checkpoint or from offset 0, continues exactly as the unbroken one.
 */
describe('PartitionUnit with a cross-v1 set', () => {
  let dir: string;
  let el: EmbeddedLog;
  let whole: GraphEvent[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-unit-cross-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    // Symbols picked so that BTC and at least one other fall in different partitions.
    await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.3, seed: 11, signalStrength: 1, symbols: [{ symbol: 'BTC' }, { symbol: 'ETH' }, { symbol: 'SOL', initialPrice: 150, tickSize: 0.01 }] }));
    whole = [];
    await replayLog({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), predictor, config, sinks: [{ onEvent: (e) => void whole.push(e) }] });
  });
  after(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const decode = (t: string, b: Uint8Array): unknown => el.serde.decodeAs(t, b);

  test('each partition, read with the reference partition, reproduces the whole replay restricted to its symbols', async () => {
    const parts = await el.log.partitions('trades');
    const refPartition = partitionFor('BTC', parts);
    const others = ['ETH', 'SOL'].filter((s) => partitionFor(s, parts) !== refPartition);
    assert.ok(others.length > 0, `some symbol outside the reference's partition ${refPartition} of ${parts}`);
    const signals = whole.filter((e) => e.kind === 'signal');
    assert.ok(signals.filter((e) => e.kind === 'signal' && others.includes(e.signal.symbol)).length > 20, 'signals of symbols outside the reference partition');
    let total = 0;
    for (let p = 0; p < parts; p++) {
      const out: GraphEvent[] = [];
      const unit = new PartitionUnit(p, { log: el.log, decode, predictor, config, sink: { onEvent: (e) => void out.push(e) }, clock, reference: { partition: refPartition, partitionCount: parts } });
      await unit.drain(Number.POSITIVE_INFINITY);
      await unit.close();
      const expected = whole.filter((e) => partitionFor(symbolOf(e), parts) === p);
      assert.equal(out.length, expected.length, `partition ${p}`);
      assert.deepEqual(out.map(key), expected.map(key), `partition ${p}`);
      total += out.length;
    }
    assert.equal(total, whole.length);
  });

  test('without the reference partition a unit computes different (reference-less) cross columns: the extra read is needed', async () => {
    const parts = await el.log.partitions('trades');
    const refPartition = partitionFor('BTC', parts);
    const p = partitionFor(['ETH', 'SOL'].find((s) => partitionFor(s, parts) !== refPartition) as string, parts);
    const out: GraphEvent[] = [];
    const unit = new PartitionUnit(p, { log: el.log, decode, predictor, config, sink: { onEvent: (e) => void out.push(e) }, clock });
    await unit.drain(Number.POSITIVE_INFINITY);
    await unit.close();
    const corr = out.filter((e) => e.kind === 'features' && e.vector.features.xa_corr_30 !== null);
    assert.equal(corr.length, 0, 'no reference, no correlation');
    const expected = whole.filter((e) => partitionFor(symbolOf(e), parts) === p);
    assert.notDeepEqual(out.map(key), expected.map(key));
  });

  test('rebuilt at random committed cuts (commit metadata round trip), from a checkpoint or from offset 0, a unit continues exactly as the unbroken one', async () => {
    const parts = await el.log.partitions('trades');
    const refPartition = partitionFor('BTC', parts);
    const p = partitionFor(['ETH', 'SOL'].find((s) => partitionFor(s, parts) !== refPartition) as string, parts);
    const reference = { partition: refPartition, partitionCount: parts };
    const identity = graphIdentity(config, predictor, 'code-cross-test');
    const store = new LogCheckpointStore({ log: el.log, encode: (t, v) => el.serde.encode(t, v), decode });
    const unitOf = (out: GraphEvent[]): PartitionUnit => new PartitionUnit(p, { log: el.log, decode, predictor, config, sink: { onEvent: (e) => void out.push(e) }, clock, reference });
    // The unbroken owner: drains in market-time steps of random length (seeded), as a live member
    // does, "commits" after each step (what the group would commit, read back as the group reads
    // it) and checkpoints after every other step.
    const rng = new Rng(61);
    const ref: GraphEvent[] = [];
    const unit = unitOf(ref);
    const saver = new UnitCheckpoints({ store, identity, everyInputs: 1 });
    const steps: { cut: Cut; emitted: number }[] = [];
    let t = syntheticConfig({ days: 0.3, seed: 11 }).start;
    for (let i = 0; i < 16; i++) {
      t += Math.floor(5 * 60_000 + rng.next() * 50 * 60_000);
      await unit.drain(t);
      const committed = unitCommit(unit);
      assert.ok(committed.every((c) => c.partition === p), 'only the own partition is committed');
      assert.ok(committed.every((c) => c.metadata !== undefined), 'each carries the reference position');
      const cut = cutsFromCommitted(INPUT_TOPICS.map((topic) => ({ topic, partitions: committed.filter((c) => c.topic === topic).map((c) => ({ partition: c.partition, offset: c.offset, metadata: c.metadata ?? null })) })), refPartition).get(p) ?? new Map<string, number>();
      assert.deepEqual([...cut].sort(), [...unit.cut()].sort(), 'the committed offsets + metadata give back the unit\'s cut on both partitions');
      steps.push({ cut, emitted: ref.length });
      if (i % 2 === 1) await saver.maybeSave(unit, t, 0);
    }
    await unit.drain(Number.POSITIVE_INFINITY);
    await unit.close();
    assert.ok(ref.some((e) => e.kind === 'signal'));
    const inside = steps.filter((s) => s.emitted > 0 && s.emitted < ref.length);
    assert.ok(inside.length >= 5, `cuts inside the history: ${inside.length}`);
    let restored = 0;
    // Every other cut inside the history, and the last (each is two rebuilds and two replays of the
    // tail; all of them cost 9 CPU s): still cuts spread over the whole history, checkpoints and offset 0.
    const tried = inside.filter((_, i) => i % 2 === 0 || i === inside.length - 1);
    for (const { cut, emitted } of tried) {
      for (const fromCheckpoints of [true, false]) {
        const out: GraphEvent[] = [];
        const rebuilt = unitOf(out);
        if (fromCheckpoints) restored += (await new UnitCheckpoints({ store, identity }).restore(rebuilt, cut)) > 0 ? 1 : 0;
        await rebuilt.rebuild(cut);
        assert.equal(out.length, 0, 'a rebuild emits nothing');
        assert.ok(cutCovers(rebuilt.cut(), cut) && cutCovers(cut, rebuilt.cut()), 'the rebuilt unit stands at the cut, on both partitions');
        await rebuilt.drain(Number.POSITIVE_INFINITY);
        await rebuilt.close();
        assert.deepEqual(out.map(key), ref.slice(emitted).map(key), `cut ${JSON.stringify([...cut])}, ${fromCheckpoints ? 'checkpoint' : 'offset 0'}`);
      }
    }
    assert.ok(restored >= 3, `restored from a checkpoint ${restored} times`);
    // Without the reference position (a commit of p's offsets alone) the rebuild stops elsewhere on
    // the reference partition and the continuation differs: what the metadata is for.
    const last = inside[inside.length - 1] as { cut: Cut; emitted: number };
    const ownOnly = new Map([...last.cut].filter(([k]) => k.endsWith(`/${p}`)));
    const out: GraphEvent[] = [];
    const bad = unitOf(out);
    await bad.rebuild(ownOnly);
    await bad.drain(Number.POSITIVE_INFINITY);
    await bad.close();
    assert.notDeepEqual(out.map(key), ref.slice(last.emitted).map(key));
    // A commit of p without the metadata (a graph without the reference) is refused, not guessed.
    assert.throws(() => cutsFromCommitted([{ topic: 'trades', partitions: [{ partition: p, offset: '5', metadata: '' }] }], refPartition), /carry no position on the reference's partition/);
  });
});
