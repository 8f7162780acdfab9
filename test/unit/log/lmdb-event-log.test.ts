import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_PARTITIONS, topicSpec } from '../../../schemas/topics.ts';
import { LmdbEventLog } from '../../../storage/log/lmdb-event-log.ts';
import { LogError } from '../../../storage/log/log-error.ts';
import { eventLogContract } from '../../contract/event-log.contract.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-log-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

eventLogContract('LmdbEventLog', async () => {
  const dir = await tempDir();
  const log = await LmdbEventLog.open(dir, { pollIntervalMs: 20 });
  return { log, cleanup: () => log.close() };
});

const rec = (key: string, timestamp: number, byte: number) => ({ key, timestamp, value: Uint8Array.of(byte) });

describe('LmdbEventLog', () => {
  test('options out of range are refused with what was wrong; unset ones take their defaults', async () => {
    const dir = await tempDir();
    for (const [options, message] of [
      [{ defaultPartitions: 0 }, /defaultPartitions must be an integer from 1 to 256, got 0/],
      [{ defaultPartitions: 1.5 }, /defaultPartitions must be an integer from 1 to 256, got 1.5/],
      [{ defaultPartitions: 257 }, /defaultPartitions must be an integer from 1 to 256, got 257/],
      [{ pollIntervalMs: 0 }, /pollIntervalMs must be an integer from 1 to 60000, got 0/],
      [{ pollIntervalMs: Number.NaN }, /pollIntervalMs must be an integer from 1 to 60000, got NaN/],
      [{ readOnly: 'yes' as unknown as boolean }, /readOnly must be a boolean, got yes/],
    ] as const) {
      await assert.rejects(LmdbEventLog.open(dir, options), (e: Error) => e instanceof LogError && message.test(e.message), JSON.stringify(options));
    }
    const log = await LmdbEventLog.open(dir);
    assert.equal(await log.partitions('not-in-the-catalogue'), DEFAULT_PARTITIONS);
    await log.close();
  });

  test('partition counts come from the catalogue, else the default, and persist across reopen', async () => {
    const dir = await tempDir();
    let log = await LmdbEventLog.open(dir, { defaultPartitions: 3 });
    assert.equal(await log.partitions('dead-letters'), topicSpec('dead-letters').partitions);
    assert.equal(await log.partitions('trades'), topicSpec('trades').partitions);
    assert.equal(await log.partitions('my-topic'), 3);
    await log.append('my-topic', [rec('a', 1, 1), rec('b', 2, 2), rec('c', 3, 3)]);
    await log.close();

    log = await LmdbEventLog.open(dir, { defaultPartitions: 7 });
    assert.equal(await log.partitions('my-topic'), 3, 'an existing topic keeps its partition count');
    assert.equal(await log.partitions('new-topic'), 7);
    assert.deepEqual(await log.topics(), ['dead-letters', 'my-topic', 'new-topic', 'trades']);
    let total = 0;
    for (let p = 0; p < 3; p++) total += await log.endOffset('my-topic', p);
    assert.equal(total, 3);
    await log.close();
  });

  test('a bad record rejects the whole append and nothing is written', async () => {
    const log = await LmdbEventLog.open(await tempDir());
    await assert.rejects(log.append('t', [rec('a', 1, 1), { key: 'a', timestamp: 1.5, value: Uint8Array.of(2) }]), LogError);
    await assert.rejects(log.append('t', [{ key: 'a', timestamp: 1, value: [1] as unknown as Uint8Array }]), LogError);
    await assert.rejects(log.append('bad/name', [rec('a', 1, 1)]), LogError);
    const n = await log.partitions('t');
    for (let p = 0; p < n; p++) assert.equal(await log.endOffset('t', p), 0);
    await assert.rejects(log.endOffset('t', n), LogError);
    await log.close();
    await assert.rejects(log.append('t', [rec('a', 1, 1)]), /closed/);
  });

  test('two handles on one directory in one process see each other, and follow wakes at once', async () => {
    const dir = await tempDir();
    const a = await LmdbEventLog.open(dir, { pollIntervalMs: 60_000 }); // no polling: only the in-process wake-up
    const b = await LmdbEventLog.open(dir, { pollIntervalMs: 60_000 });
    const p = (await a.append('shared', [rec('k', 1, 1)]))[0]!.partition;
    assert.equal(await b.endOffset('shared', p), 1);
    const ac = new AbortController();
    const seen: number[] = [];
    const following = (async () => {
      for await (const batch of b.follow('shared', p, 0, ac.signal)) for (const r of batch) seen.push(r.value[0]!);
    })();
    try {
      await waitFor('the first record', () => seen.length === 1, { timeoutMs: 5_000 });
      assert.deepEqual(await a.append('shared', [rec('k', 2, 2)]), [{ partition: p, offset: 1 }]);
      await waitFor('the appended record', () => seen.length === 2, { timeoutMs: 2_000 });
    } finally {
      ac.abort();
      await following;
    }
    assert.deepEqual(seen, [1, 2]);
    await a.close();
    assert.equal(await b.endOffset('shared', p), 2, 'closing one handle leaves the other working');
    await b.close();
  });

  test('concurrent appends from two handles interleave without losing or reusing offsets', async () => {
    const dir = await tempDir();
    const a = await LmdbEventLog.open(dir);
    const b = await LmdbEventLog.open(dir);
    const batches = Array.from({ length: 20 }, (_, i) => Array.from({ length: 50 }, (_, j) => rec('same', i * 50 + j, i)));
    const positions = (await Promise.all(batches.map((batch, i) => (i % 2 ? a : b).append('race', batch)))).flat();
    const offsets = positions.map((x) => x.offset).sort((x, y) => x - y);
    assert.deepEqual(offsets, Array.from({ length: 1_000 }, (_, i) => i));
    // Each call's records are contiguous (one transaction per append).
    for (let i = 0; i < 20; i++) {
      const own = positions.slice(i * 50, i * 50 + 50).map((x) => x.offset);
      assert.equal(own[49]! - own[0]!, 49, `batch ${i} is contiguous`);
    }
    await a.close();
    await b.close();
  });
});
