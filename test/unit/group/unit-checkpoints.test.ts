import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { graphIdentity } from '../../../processors/checkpoint/index.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import { DEFAULT_GRAPH_CONFIG } from '../../../processors/graph.ts';
import { hostEvents, type HostEvents } from '../../../hosts/host-events.ts';
import { PartitionUnit, type Cut } from '../../../hosts/group/partition-unit.ts';
import { UnitCheckpoints } from '../../../hosts/group/unit-checkpoints.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { LogCheckpointStore } from '../../../storage/checkpoints/log-checkpoint-store.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { graphEventKey as key, toyPredictor } from '../../helpers/toy-predictor.ts';

/**
 * Consumer-group takeover from a checkpoint on the `checkpoints` topic (here the topic of an
 * embedded log: the store only uses the EventLog interface; test/integration/kafka has it on a
 * real broker). The reference is an unbroken unit over the same partition: a new owner restored
 * from a checkpoint and rebuilt up to the committed cut emits exactly the unbroken unit's outputs
 * after the cut, with the same final stats.
 */
const predictor = toyPredictor();
const clock = { kind: 'live' as const, now: () => 0 };
const IDENTITY = graphIdentity(DEFAULT_GRAPH_CONFIG, predictor, 'code-1');

describe('UnitCheckpoints on the checkpoints topic', () => {
  let dir: string;
  let el: EmbeddedLog;
  let p: number;
  const ref: GraphEvent[] = [];
  /** After each 37-minute step of the reference: the committed cut, outputs so far, inputs so far. */
  const steps: { cut: Cut; emitted: number; inputs: number }[] = [];
  let refStats: PartitionUnit['stats'];
  const written: HostEvents['checkpoint'][0][] = [];
  const decode = (t: string, b: Uint8Array): unknown => el.serde.decodeAs(t, b);
  const store = (): LogCheckpointStore => new LogCheckpointStore({ log: el.log, encode: (t, v) => el.serde.encode(t, v), decode });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-unit-ckpt-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.3, seed: 11, signalStrength: 1 }));
    p = partitionFor('BTC', await el.log.partitions('trades'));
    // The reference owner: drains in market-time steps as a live member does, "commits" after each
    // step and checkpoints after every other one (so most cuts fall between two checkpoints).
    const events = hostEvents();
    events.on('checkpoint', (e) => written.push(e));
    const saver = new UnitCheckpoints({ store: store(), identity: IDENTITY, everyInputs: 1, events });
    const unit = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: (e) => void ref.push(e) }, clock });
    const t0 = syntheticConfig({ days: 0.3, seed: 11 }).start;
    for (let t = t0, i = 0; i < 14; t += 37 * 60_000, i++) {
      await unit.drain(t);
      steps.push({ cut: unit.cut(), emitted: ref.length, inputs: unit.stats.inputs });
      if (i % 2 === 1) await saver.maybeSave(unit, t, 0);
    }
    await unit.drain(Number.POSITIVE_INFINITY);
    refStats = structuredClone(unit.stats);
    await unit.close();
  });
  after(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('takeover at a committed cut: newest checkpoint the cut covers + the tail = the unbroken unit', async () => {
    assert.ok(written.length >= 5, `checkpoints written ${written.length}`);
    assert.ok(written.every((w) => w.partition === p));
    const inside = steps.filter((s) => s.emitted > 0 && s.emitted < ref.length);
    assert.ok(inside.length >= 6, 'cuts fall inside the history');
    for (const s of inside) {
      const out: GraphEvent[] = [];
      const seen: { resume: HostEvents['resume'][0][]; ignored: HostEvents['checkpoint-ignored'][0][] } = { resume: [], ignored: [] };
      const events = hostEvents();
      events.on('resume', (e) => seen.resume.push(e));
      events.on('checkpoint-ignored', (e) => seen.ignored.push(e));
      const unit = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: (e) => void out.push(e) }, clock });
      const from = await new UnitCheckpoints({ store: store(), identity: IDENTITY, events }).restore(unit, s.cut);
      // The newest checkpoint at or before the cut: every other step wrote one, and later ones
      // (past the committed offsets) are passed over with their reason.
      const expected = [...written].reverse().find((w) => w.inputs <= s.inputs);
      assert.equal(from, expected?.inputs ?? 0, `cut at input ${s.inputs}`);
      if (expected !== undefined) assert.deepEqual(seen.resume, [{ inputs: expected.inputs, partition: p }]);
      assert.ok(seen.ignored.every((i) => i.inputs !== null && i.inputs > s.inputs && /past the committed offsets/.test(i.reason)), JSON.stringify(seen.ignored));
      assert.equal(seen.ignored.length, written.filter((w) => w.inputs > s.inputs).length);
      const replayed = await unit.rebuild(s.cut);
      assert.equal(replayed, s.inputs - from, 'only the tail between the checkpoint and the cut is replayed');
      assert.equal(out.length, 0, 'a rebuild emits nothing');
      assert.equal(unit.stats.inputs, s.inputs);
      await unit.drain(Number.POSITIVE_INFINITY);
      assert.deepStrictEqual(unit.stats, refStats);
      await unit.close();
      assert.deepEqual(out.map(key), ref.slice(s.emitted).map(key));
    }
  });

  test('checkpoints of another graph or another partition are not used: the unit rebuilds from offset 0', async () => {
    const s = steps[steps.length - 2] as (typeof steps)[number];
    const other = graphIdentity(DEFAULT_GRAPH_CONFIG, predictor, 'code-2');
    const unit = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: () => undefined }, clock });
    assert.equal(await new UnitCheckpoints({ store: store(), identity: other }).restore(unit, s.cut), 0, 'another code version');
    assert.equal(await unit.rebuild(s.cut), s.inputs);
    await unit.close();
    const q = (p + 1) % (await el.log.partitions('trades'));
    const unitQ = new PartitionUnit(q, { log: el.log, decode, predictor, sink: { onEvent: () => undefined }, clock });
    assert.equal(await new UnitCheckpoints({ store: store(), identity: IDENTITY }).restore(unitQ, new Map([[`trades/${q}`, 1e9], [`options/${q}`, 1e9]])), 0, 'another partition');
    await unitQ.close();
  });
});
