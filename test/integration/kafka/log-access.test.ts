import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Trade } from '../../../schemas/trade.ts';
import { openLogFrom } from '../../../cli/log-access.ts';
import { UsageError } from '../../../cli/output.ts';
import { partitionFor } from '../../../storage/log/event-log.ts';
import { tempDir } from '../../helpers/cli.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';

// A real broker with nothing on it (the test appends to the catalogue's `trades`): npm test's
// shared one emptied, or one of this process (kafka-broker.ts).
const kafka = await realKafka({ own: true });
const schemas = tempDir('tickflow-log-access-schemas-');
process.env['TICKFLOW_SCHEMA_DIR'] = schemas.dir; // keep the registry-less schema store out of $HOME
after(async () => {
  if (!('skip' in kafka)) await kafka.stop();
  schemas.cleanup();
});

describe('openLogFrom', { timeout: 30_000 }, () => {
  test('rejects --log with --broker, and --registry without --broker', async () => {
    await assert.rejects(openLogFrom({ log: '/tmp/x', broker: 'localhost:9092' }), UsageError);
    await assert.rejects(openLogFrom({ log: '/tmp/x', registry: 'http://localhost:8081' }), UsageError);
    await assert.rejects(openLogFrom({}), UsageError);
  });

  test('--broker: a LogAccess on Kafka whose encode, append, read and decode round-trip', { skip: 'skip' in kafka ? kafka.skip : false }, async () => {
    const access = await openLogFrom({ broker: 'skip' in kafka ? '' : kafka.brokers.join(',') });
    try {
      const trade: Trade = { tsEvent: 1_700_000_000_001, tsInit: 1_700_000_000_002, symbol: 'MSFT', price: 410.5, size: 3, side: 'SELL', tradeId: 7 };
      const topic = 'trades';
      const [pos] = await access.log.append(topic, [{ key: trade.symbol, timestamp: trade.tsInit, value: access.encode(topic, trade) }]);
      assert.equal(pos!.partition, partitionFor('MSFT', await access.log.partitions(topic)));
      const read = [];
      for await (const b of access.log.read(topic, pos!.partition, { fromOffset: pos!.offset })) read.push(...b);
      assert.equal(read.length, 1);
      assert.deepEqual({ ...(access.decode(topic, read[0]!.value) as object) }, trade);
    } finally {
      await access.close();
    }
  });
});
