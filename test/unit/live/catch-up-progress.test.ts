import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLive, type FeedEvent } from '../../../hosts/live/live-runner.ts';
import { hostEvents } from '../../../hosts/host-events.ts';
import { replayTotal } from '../../../hosts/replay/replay-progress.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';

/** The live host's catch-up (what `start` replays before it goes live) reports its progress as it goes. */
test('runLive emits catch-up-progress with 0, then every 10,000 inputs of the catch-up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-catch-up-'));
  const el = await openEmbeddedLog(join(dir, 'log'));
  try {
    await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.4, seed: 5, signalStrength: 1 }));
    const total = await replayTotal(el.log);
    const calls: number[] = [];
    const events = hostEvents();
    events.on('catch-up-progress', ({ inputs }) => calls.push(inputs));
    const none: Iterator<FeedEvent> = { next: () => ({ done: true, value: undefined }) };
    const r = await runLive({
      log: el.log, encode: (t, v) => el.serde.encode(t, v), decode: (t, b) => el.serde.decodeAs(t, b), feed: none, predictor: null,
      sinks: [], afterChunk: () => Promise.resolve(), speed: 1, signal: new AbortController().signal,
      events,
    });
    assert.equal(r.catchUpInputs, total, 'the catch-up read every input');
    assert.ok(total > 30_000, `inputs ${total}`);
    assert.deepEqual(calls, Array.from({ length: Math.floor(total / 10_000) + 1 }, (_, i) => i * 10_000));
  } finally {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
