import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openLog, topicSize } from '../../../cli/log-access.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';
import { tempDir } from '../../helpers/cli.ts';

/**
 * Closing a LogAccess gives back the directory's lmdb environment: the log AND its schema registry
 * hold it (storage/log/lmdb-env.ts). Before, close() released only the log's hold, so after a
 * read-only access was closed this process could not open the directory for writing again
 * ("already open read-only in this process"), e.g. a test polling a log that `start` writes.
 */
test('a closed read-only access leaves the log free to open for writing in the same process', async () => {
  const tmp = tempDir('tickflow-log-access-');
  try {
    const dir = `${tmp.dir}/log`;
    const w = await openEmbeddedLog(dir);
    await w.log.append('trades', [{ key: 'BTC', timestamp: 1, value: w.serde.encode('trades', { symbol: 'BTC', tsEvent: 1, tsInit: 1, price: 1, size: 1, side: 'BUY', tradeId: 1 }) }]);
    await w.close();
    for (let i = 0; i < 2; i++) {
      const r = await openLog(dir, { readOnly: true });
      assert.equal(await topicSize(r.log, 'trades'), 1);
      await r.close();
    }
    const again = await openLog(dir);
    assert.equal(await topicSize(again.log, 'trades'), 1);
    await again.close();
  } finally {
    tmp.cleanup();
  }
});
