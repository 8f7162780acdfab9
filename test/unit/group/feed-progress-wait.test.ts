// ProgressTracker.waitForMarker (D143): an idle group member waits for the next progress marker
// instead of polling the log every few ms. The waits here are ten minutes long: each test ends
// only because a marker, an abort or an unread marker ends the wait (the test's own timeout fails it otherwise).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { markProgress, ProgressTracker } from '../../../hosts/group/feed-progress.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';

const LONG = 10 * 60_000;
let dir: string;
let log: EmbeddedLog;
const encode = (topic: string, value: object): Uint8Array => log.serde.encode(topic, value);
const decode = (_topic: string, bytes: Uint8Array): unknown => log.serde.decode(bytes).value;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickflow-progress-wait-'));
  log = await openEmbeddedLog(dir);
});
after(async () => {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a marker appended during the wait ends it, and poll then reads it', { timeout: 60_000 }, async () => {
  const stop = new AbortController();
  try {
    const tracker = new ProgressTracker(log.log, decode);
    assert.equal(await tracker.poll(), Number.NEGATIVE_INFINITY);
    const waited = tracker.waitForMarker(LONG, stop.signal);
    await markProgress(log.log, encode, 'feed', 1_000);
    await waited;
    assert.equal(await tracker.poll(), 1_000);
    // A marker appended before the wait, not yet polled, ends the next wait at once.
    await markProgress(log.log, encode, 'feed', 2_000);
    await tracker.waitForMarker(LONG, stop.signal);
    assert.equal(await tracker.poll(), 2_000);
  } finally {
    stop.abort();
  }
});

test('an interrupt or the stop signal ends a wait with no marker', { timeout: 60_000 }, async () => {
  const stop = new AbortController();
  const tracker = new ProgressTracker(log.log, decode);
  await tracker.poll();
  const interrupt = new AbortController();
  const waited = tracker.waitForMarker(LONG, stop.signal, interrupt.signal);
  interrupt.abort();
  await waited;
  const last = tracker.waitForMarker(LONG, stop.signal);
  stop.abort();
  await last;
});
