import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_BATCH, SyntheticMarket, syntheticConfig, writeSyntheticHistory } from '../../../sources/synthetic/index.ts';
import type { LogRecord } from '../../../storage/log/event-log.ts';
import type { Trade } from '../../../schemas/index.ts';
import { MemoryLog } from '../../helpers/memory-log.ts';

const json = { encode: (_topic: string, value: object): Uint8Array => Buffer.from(JSON.stringify(value)) };
const decode = (r: LogRecord): { tsEvent: number; tsInit: number } => JSON.parse(Buffer.from(r.value).toString('utf8'));

describe('writeSyntheticHistory', () => {
  test('appends every event, keyed and timestamped, in delivery order per partition, in bounded batches', async () => {
    const config = syntheticConfig({ days: 0.05, seed: 4 });
    const expected = [...new SyntheticMarket(config).events()];
    const log = new MemoryLog();
    const progress: { events: number; ts: number }[] = [];
    const res = await writeSyntheticHistory(log, json, config, (p) => progress.push(p));

    assert.equal(res.events, expected.length);
    let stored = 0;
    for (const [topic, parts] of log.parts) {
      for (const p of parts) {
        stored += p.length;
        for (let i = 0; i < p.length; i++) {
          const v = decode(p[i]!);
          assert.equal(p[i]!.timestamp, v.tsEvent);
          if (i > 0) assert.ok(v.tsInit >= decode(p[i - 1]!).tsInit, `${topic} order`);
        }
      }
    }
    assert.equal(stored, expected.length);
    // Same records per key, in the same order, as the generator yields them.
    for (const key of ['BTC', 'ETH']) {
      const fromLog = log.parts.get('trades')!.flat().filter((r) => r.key === key).map((r) => (JSON.parse(Buffer.from(r.value).toString()) as Trade).tradeId);
      const direct = expected.filter((e) => e.topic === 'trades' && e.key === key).map((e) => (e.value as Trade).tradeId);
      assert.deepEqual(fromLog, direct);
    }
    assert.ok(log.parts.get('options')!.flat().length > 0);
    // Batches: at most HISTORY_BATCH records per round across topics; progress is monotone.
    assert.ok(Math.max(...log.appendSizes) <= HISTORY_BATCH);
    assert.ok(expected.length > HISTORY_BATCH && progress.length === Math.ceil(expected.length / HISTORY_BATCH));
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.events > progress[i - 1]!.events && progress[i]!.ts >= progress[i - 1]!.ts);
    assert.equal(progress.at(-1)!.events, expected.length);

    const tsEvents = expected.map((e) => e.value.tsEvent);
    assert.equal(res.firstTs, Math.min(...tsEvents));
    assert.equal(res.lastTs, Math.max(...tsEvents));
    const m = new SyntheticMarket(config);
    for (const it = m.events(); !it.next().done;) { /* drain: the truth is collected during the iteration */ }
    assert.equal(res.bayesAuc, m.bayesAuc());
  });
});
