import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { PartitionUnit, cutCovers } from '../../../hosts/group/partition-unit.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { graphEventKey as key, toyPredictor, toySequencePredictor } from '../../helpers/toy-predictor.ts';
import type { Predictor } from '../../../processors/types.ts';

/** A deterministic stand-in model: probabilities from the first two features (a pure function). */
const predictor = toyPredictor();

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
 * Scale-out rests on this: the graph run over partition p of the inputs alone gives exactly the
 * whole-log replay's outputs for p's symbols, in the same order; and a unit rebuilt from a cut
 * continues exactly as one that never stopped.
 */
describe('PartitionUnit', () => {
  let dir: string;
  let el: EmbeddedLog;
  let whole: GraphEvent[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-unit-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.3, seed: 11, signalStrength: 1 }));
    whole = [];
    await replayLog({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), predictor, sinks: [{ onEvent: (e) => void whole.push(e) }] });
  });
  after(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const decode = (t: string, b: Uint8Array): unknown => el.serde.decodeAs(t, b);

  test('each partition alone reproduces the whole replay restricted to its symbols', async () => {
    const parts = await el.log.partitions('trades');
    let total = 0;
    const signals = whole.filter((e) => e.kind === 'signal').length;
    assert.ok(signals > 50, `signals ${signals}`);
    for (let p = 0; p < parts; p++) {
      const out: GraphEvent[] = [];
      const unit = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: (e) => void out.push(e) }, clock });
      await unit.drain(Number.POSITIVE_INFINITY);
      await unit.close();
      const expected = whole.filter((e) => partitionFor(symbolOf(e), parts) === p);
      assert.equal(out.length, expected.length, `partition ${p}`);
      assert.deepEqual(out.map(key), expected.map(key), `partition ${p}`);
      total += out.length;
    }
    assert.equal(total, whole.length);
  });

  test('drained at most N inputs at a time, a unit emits exactly what one unbroken drain does, and every stop is a cut to rebuild at', async () => {
    const p = partitionFor('BTC', await el.log.partitions('trades'));
    const ref: GraphEvent[] = [];
    const whole1 = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: (e) => void ref.push(e) }, clock });
    const total = await whole1.drain(Number.POSITIVE_INFINITY);
    await whole1.close();
    const out: GraphEvent[] = [];
    const unit = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: (e) => void out.push(e) }, clock });
    const stops: { cut: ReturnType<PartitionUnit['cut']>; emitted: number }[] = [];
    let sum = 0;
    for (let n; (n = await unit.drain(Number.POSITIVE_INFINITY, 997)) > 0; ) {
      assert.ok(n <= 997);
      sum += n;
      stops.push({ cut: unit.cut(), emitted: out.length });
    }
    await unit.close();
    assert.equal(sum, total);
    assert.ok(stops.length > 5, `stops ${stops.length}`);
    assert.deepEqual(out.map(key), ref.map(key));
    // A stop falls anywhere, even between inputs of the same tsInit: the next owner rebuilds there.
    for (const { cut, emitted } of [stops[1], stops[Math.floor(stops.length / 2)]] as typeof stops) {
      const rest: GraphEvent[] = [];
      const rebuilt = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: (e) => void rest.push(e) }, clock });
      await rebuilt.rebuild(cut);
      await rebuilt.drain(Number.POSITIVE_INFINITY);
      await rebuilt.close();
      assert.deepEqual(rest.map(key), ref.slice(emitted).map(key));
    }
  });

  test('one arrival time per emitted signal, when its closing input was handed to the graph; none for a rebuild', async () => {
    const p = partitionFor('BTC', await el.log.partitions('trades'));
    const out: GraphEvent[] = [];
    const unit = new PartitionUnit(p, { log: el.log, decode, predictor, sink: { onEvent: (e) => void out.push(e) }, clock });
    const t0 = syntheticConfig({ days: 0.3, seed: 11 }).start;
    assert.ok((await unit.rebuild(new Map([[`trades/${p}`, 2_000]]))) > 0);
    assert.deepEqual(unit.takeSignalArrivals(), [], 'a rebuild emits no signal, so no arrival');
    const before = performance.now();
    await unit.drain(t0 + 4 * 3_600_000);
    const afterDrain = performance.now();
    const arrivals = unit.takeSignalArrivals();
    const signals = out.filter((e) => e.kind === 'signal').length;
    assert.ok(signals > 0, 'the window holds signals');
    assert.equal(arrivals.length, signals);
    assert.ok(arrivals.every((a, i) => a >= before && a <= afterDrain && (i === 0 || a >= (arrivals[i - 1] as number))), 'within the drain, in order');
    assert.deepEqual(unit.takeSignalArrivals(), [], 'taken once');
    await unit.close();
  });

  for (const [name, model] of [['a one-row model', predictor], ['a sequence model (its per-symbol windows rebuilt too)', toySequencePredictor()]] as [string, Predictor][]) {
    test(`stopped at any cut and rebuilt there, a unit emits exactly what an unbroken one would after the cut: ${name}`, async () => {
      // Drain in market-time steps (as live does) and rebuild a fresh unit at each cut.
      const p = partitionFor('BTC', await el.log.partitions('trades'));
      const ref: GraphEvent[] = [];
      const unit = new PartitionUnit(p, { log: el.log, decode, predictor: model, sink: { onEvent: (e) => void ref.push(e) }, clock });
      const t0 = syntheticConfig({ days: 0.3, seed: 11 }).start;
      const cuts: { cut: ReturnType<PartitionUnit['cut']>; emitted: number }[] = [];
      for (let t = t0; cuts.length < 12; t += 37 * 60_000) {
        await unit.drain(t);
        cuts.push({ cut: unit.cut(), emitted: ref.length });
      }
      await unit.drain(Number.POSITIVE_INFINITY);
      await unit.close();
      const interesting = cuts.filter((c) => c.emitted > 0 && c.emitted < ref.length);
      assert.ok(interesting.length >= 3, 'cuts fall inside the history');
      for (const { cut, emitted } of interesting) {
        const out: GraphEvent[] = [];
        const rebuilt = new PartitionUnit(p, { log: el.log, decode, predictor: model, sink: { onEvent: (e) => void out.push(e) }, clock });
        const replayed = await rebuilt.rebuild(cut);
        assert.ok(replayed > 0);
        assert.equal(out.length, 0, 'a rebuild emits nothing');
        assert.ok(cutCovers(rebuilt.cut(), cut) && cutCovers(cut, rebuilt.cut()), 'the rebuilt unit stands at the cut');
        await rebuilt.drain(Number.POSITIVE_INFINITY);
        await rebuilt.close();
        assert.deepEqual(out.map(key), ref.slice(emitted).map(key));
      }
      assert.ok(ref.some((e) => e.kind === 'signal'));
    });
  }
});
