import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppendRecord, EventLog } from '../../../storage/log/event-log.ts';
import { TopicAppender } from '../../../sources/ingest/topic-appender.ts';

/**
 * A log whose appends finish only when the test says so (a stand-in for lmdb's commit and sync:
 * the point is the order of calls, which a real log would not let the test hold open).
 */
function heldLog(): { log: EventLog; calls: { keys: string[]; finish: (error?: Error) => void }[] } {
  const calls: { keys: string[]; finish: (error?: Error) => void }[] = [];
  const log = {
    append(_topic: string, records: readonly AppendRecord[]) {
      return new Promise((resolve, reject) => {
        calls.push({ keys: records.map((r) => r.key), finish: (error?: Error) => (error ? reject(error) : resolve([])) });
      });
    },
  } as unknown as EventLog;
  return { log, calls };
}

const rec = (key: string): AppendRecord => ({ key, timestamp: 1, value: new Uint8Array(1) });

test('flushBehind: one append in flight, the next starts only after it, in order; flush waits for all', async () => {
  const { log, calls } = heldLog();
  const a = new TopicAppender(log, 't', 2);
  a.add(rec('a'));
  a.add(rec('b'));
  await a.flushBehind(); // starts append 1, returns at once (nothing before it)
  assert.equal(calls.length, 1);
  a.add(rec('c'));
  a.add(rec('d'));
  let second = false;
  const behind = a.flushBehind().then(() => (second = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, 1, 'append 2 waits for append 1');
  assert.equal(second, false);
  calls[0]!.finish();
  await behind;
  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map((c) => c.keys), [['a', 'b'], ['c', 'd']]);
  assert.equal(a.appended, 2);
  a.add(rec('e'));
  const done = a.flush();
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, 2, 'flush waits for the append in flight first');
  calls[1]!.finish();
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, 3);
  calls[2]!.finish();
  await done;
  assert.equal(a.appended, 5);
});

test('a failed append in flight is raised by the next call; settle() waits without raising; no unhandled rejection', async () => {
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const { log, calls } = heldLog();
    const a = new TopicAppender(log, 't', 1);
    a.add(rec('a'));
    await a.flushBehind();
    calls[0]!.finish(new Error('disk full'));
    await new Promise((r) => setImmediate(r));
    a.add(rec('b'));
    await assert.rejects(a.flushBehind(), /disk full/);
    assert.equal(calls.length, 1, 'nothing appended after the failure');
    assert.equal(a.appended, 0);

    const b = new TopicAppender(heldLog().log, 't', 1);
    const { log: log2, calls: calls2 } = heldLog();
    const c = new TopicAppender(log2, 't', 1);
    c.add(rec('x'));
    await c.flushBehind();
    calls2[0]!.finish(new Error('gone'));
    await c.settle();
    await b.settle(); // nothing in flight: returns
    await new Promise((r) => setImmediate(r));
    assert.equal(unhandled, 0);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
