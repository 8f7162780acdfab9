/**
 * core-v2 in a graph checkpoint (D127): for cuts k of a synthetic market's inputs, running [0, k),
 * snapshotting the graph to text, restoring it into a fresh graph and running [k, n) gives exactly
 * the feature vectors and stats of one uncut replay, ofi_wma_6 included (graph-snapshot.test.ts
 * runs the full contract for core-v1 and full-v1; this is the same check for the new set's state).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { Subject } from 'rxjs';
import { MergedReader } from '../../../hosts/merged-reader.ts';
import { GraphStateRegistry, graphIdentity, restoreGraph, snapshotGraph } from '../../../processors/checkpoint/index.ts';
import { decodeState } from '../../../processors/checkpoint/state-codec.ts';
import { CORE_V2_FEATURE_SET } from '../../../processors/features/full/index.ts';
import { buildGraph, graphConfigFor } from '../../../processors/graph.ts';
import { newGraphStats, type GraphEvent, type GraphStats } from '../../../processors/graph-events.ts';
import type { InputEvent } from '../../../processors/types.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';

const CODE = 'test-code-1';
const config = graphConfigFor(CORE_V2_FEATURE_SET);
const identity = graphIdentity(config, null, CODE);

function runSlice(inputs: readonly InputEvent[], from: number, to: number, snapshot?: string): { out: GraphEvent[]; stats: GraphStats; registry: GraphStateRegistry } {
  const stats = newGraphStats();
  const registry = new GraphStateRegistry();
  const src = new Subject<InputEvent>();
  const out: GraphEvent[] = [];
  buildGraph(src, { stats, predictor: null, config, state: registry }).subscribe({ next: (e) => out.push(e), error: (e: unknown) => assert.fail(String(e)) });
  if (snapshot !== undefined) restoreGraph(registry, stats, snapshot, identity);
  for (let i = from; i < to; i++) src.next(inputs[i] as InputEvent);
  return { out, stats, registry };
}

const inputs: InputEvent[] = [];
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-core-v2-'));
  try {
    const el = await openEmbeddedLog(join(dir, 'log'));
    try {
      await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.1, seed: 2028, signalStrength: 1 }));
      await new MergedReader(el.log, (t, b) => el.serde.decodeAs(t, b)).drain(Number.POSITIVE_INFINITY, (e) => inputs.push(e));
    } finally {
      await el.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('core-v2: graph snapshot + tail = replay from offset 0, ofi_wma_6 carried across the cut', () => {
  const n = inputs.length;
  const full = runSlice(inputs, 0, n);
  const vectors = full.out.flatMap((e) => (e.kind === 'features' ? [e.vector] : []));
  assert.ok(vectors.length > 40, `${vectors.length} feature vectors`);
  assert.ok(vectors.every((v) => Object.keys(v.features).join() === CORE_V2_FEATURE_SET.names.join()));
  assert.ok(vectors.filter((v) => v.features.ofi_wma_6 !== null).length > 30, 'ofi_wma_6 has values');
  for (const k of [1, Math.floor(n / 3), Math.floor(n / 2) + 7, n - 1]) {
    const head = runSlice(inputs, 0, k);
    const text = snapshotGraph(head.registry, head.stats, identity);
    if (k > n / 3) assert.match(JSON.stringify(decodeState(text)), /"ofi_wma_6":\{"window":\[/, 'the OFI window is in the checkpoint');
    const tail = runSlice(inputs, k, n, text);
    assert.deepStrictEqual([...head.out, ...tail.out], full.out, `cut at ${k} of ${n}`);
    assert.deepStrictEqual(tail.stats, full.stats, `stats, cut at ${k}`);
  }
});
