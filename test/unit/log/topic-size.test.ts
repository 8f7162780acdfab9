import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { countRecords } from '../../../hosts/log-sink.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { LmdbEventLog } from '../../../storage/log/lmdb-event-log.ts';
import { topicSize } from '../../../storage/log/topic-size.ts';

test('topicSize counts the records of every partition; countRecords is topicSize per topic', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-size-'));
  const log = await LmdbEventLog.open(dir, { defaultPartitions: 4 });
  try {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    // The keys must spread over more than one partition, or a sum over partitions is not tested.
    assert.ok(new Set(keys.map((k) => partitionFor(k, 4))).size > 1);
    await log.append('t1', keys.map((key, i) => ({ key, timestamp: i, value: Uint8Array.of(i) })));
    await log.append('t1', [{ key: 'a', timestamp: 9, value: Uint8Array.of(9) }]);
    assert.equal(await topicSize(log, 't1'), 8);
    assert.equal(await topicSize(log, 'empty'), 0);
    assert.deepEqual(await countRecords(log, ['t1', 'empty']), new Map([['t1', 8], ['empty', 0]]));
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});
