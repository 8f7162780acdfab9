import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PartitionUnit } from '../../../hosts/group/partition-unit.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { crossFeatureSet } from '../../../processors/features/cross/index.ts';
import { graphConfigFor } from '../../../processors/graph.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import type { Predictor } from '../../../processors/types.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
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
 * D61 steps 1 and 2: with a cross-symbol set, a unit that also reads the reference's partition and
 * emits only its own symbols' outputs gives exactly the whole replay's outputs for them, in order.
 * (The group's commits, step 3, are not built: `run processors` refuses such a model.)
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
});
