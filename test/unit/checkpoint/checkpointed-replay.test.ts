import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { replayWithCheckpoints } from '../../../hosts/checkpointing.ts';
import { hostEvents, type HostEvents } from '../../../hosts/host-events.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import type { GraphEvent, GraphStats } from '../../../processors/graph-events.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { CheckpointStore } from '../../../storage/checkpoints/checkpoint-store.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';

/**
 * Checkpoints beside an embedded log: a replay that resumes from a stored checkpoint emits exactly
 * the suffix of a full replay's outputs (reference: replayLog from offset 0), with the same stats;
 * a checkpoint of another code version, or an unreadable file, is skipped with a log line.
 */
let dir = '';
let el: EmbeddedLog;
let full: GraphEvent[] = [];
let fullStats: GraphStats;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickflow-ckpt-replay-'));
  el = await openEmbeddedLog(join(dir, 'log'));
  await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.2, seed: 2028, signalStrength: 1 }));
  full = [];
  fullStats = await replayLog({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), sinks: [{ onEvent: (e) => full.push(e) }] });
});
after(async () => {
  await el.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (store: CheckpointStore, extra: { codeVersion?: string; resume?: boolean } = {}) => {
  const out: GraphEvent[] = [];
  // The host's instrumentation events, in order (not its log text).
  const seen: [keyof HostEvents, unknown][] = [];
  const events = hostEvents();
  for (const name of ['resume', 'checkpoint', 'checkpoint-ignored'] as const) events.on(name, (p: unknown) => seen.push([name, p]));
  const r = await replayWithCheckpoints({
    log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), sinks: [{ onEvent: (e) => out.push(e) }], store,
    codeVersion: extra.codeVersion ?? 'v1', everyInputs: 1_500, events, ...(extra.resume === undefined ? {} : { resume: extra.resume }),
  });
  const ofKind = <K extends keyof HostEvents>(k: K): HostEvents[K][0][] => seen.filter(([n]) => n === k).map(([, p]) => p as HostEvents[K][0]);
  return { ...r, out, ofKind };
};

test('resuming from a mid-log checkpoint replays only the tail and gives the full replay\'s outputs', async () => {
  const store = new CheckpointStore(join(dir, 'log'), { keep: 3 });
  const first = await run(store, { resume: false });
  assert.equal(first.resumedFrom, 0);
  assert.deepStrictEqual(first.out, full);
  assert.deepStrictEqual(first.stats, fullStats);
  assert.ok(first.checkpointsWritten > 3, `written ${first.checkpointsWritten}`);
  assert.equal(first.ofKind('checkpoint').length, first.checkpointsWritten);
  assert.deepEqual(first.ofKind('resume'), []);
  const names = store.names();
  assert.equal(names.length, 3, 'only the newest 3 are kept');

  // As if the process had died before the last two checkpoints: the newest left is mid-log.
  for (const n of names.slice(0, 2)) rmSync(join(store.dir, n));
  const again = await run(store);
  assert.ok(again.resumedFrom > 0 && again.resumedFrom < fullStats.inputs, `resumed from ${again.resumedFrom} of ${fullStats.inputs}`);
  assert.equal(again.replayed, fullStats.inputs - again.resumedFrom, 'only the tail is read');
  assert.ok(again.out.length > 0 && again.out.length < full.length);
  assert.deepStrictEqual(again.out, full.slice(full.length - again.out.length));
  assert.deepStrictEqual(again.stats, fullStats);
  assert.deepEqual(again.ofKind('resume'), [{ inputs: again.resumedFrom }]);

  // The end-of-log checkpoint it wrote: a restart now replays nothing.
  const idle = await run(store);
  assert.equal(idle.resumedFrom, fullStats.inputs);
  assert.deepStrictEqual(idle.out, []);
});

test('a checkpoint of another code version or an unreadable one is ignored, with a checkpoint-ignored event', async () => {
  const store = new CheckpointStore(join(dir, 'log'), { keep: 2 });
  await run(store, { resume: false });
  const other = await run(store, { codeVersion: 'v2', resume: true });
  assert.equal(other.resumedFrom, 0, 'full replay');
  assert.deepStrictEqual(other.out, full);
  const [ignored] = other.ofKind('checkpoint-ignored');
  assert.ok(typeof ignored?.inputs === 'number' && ignored.inputs > 0, JSON.stringify(ignored));
  assert.match(ignored.reason, /^graph snapshot codeVersion "v1" does not match "v2"/);

  // A torn newest file (as a crash of a writer without the rename would leave) is skipped.
  writeFileSync(join(store.dir, `ckpt-${'9'.repeat(15)}.json`), '{"inputs": 1, "posi');
  const torn = await run(store, { codeVersion: 'v2' });
  const [tornIgnored] = torn.ofKind('checkpoint-ignored');
  assert.equal(tornIgnored?.inputs, null);
  assert.match(tornIgnored.reason, /^unreadable checkpoint ckpt-9+\.json/);
  assert.equal(torn.resumedFrom, fullStats.inputs);
});
