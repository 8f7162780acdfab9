import type { ClickHouseClient } from '@clickhouse/client';
import { OffsetStore } from '../../../streams/clickhouse/offset-store.ts';
import { ClickHouseProjector } from '../../../streams/clickhouse/projector.ts';
import { appendValues, byEventTime, bySymbol, counts, freshDatabase, makeSignal, startClickHouse, tempLog } from './fixtures.ts';
const server = await startClickHouse();
if ('skip' in server) process.exit(1);
const { client, database } = await freshDatabase(server.url);
const log = await tempLog();
try {
  await appendValues(log, 'signals', Array.from({ length: 600 }, (_, i) => makeSignal(i)), bySymbol, byEventTime);
  const ac = new AbortController();
  let inserts = 0;
  const killing = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'exec') return Reflect.get(target, prop, receiver);
      return async (params: Parameters<ClickHouseClient['exec']>[0]) => {
        console.log('exec', params.query.slice(0, 60), params.query.includes('.signals ('), inserts);
        let result; try { result = await target.exec(params); } catch (e) { console.log('exec error', e); throw e; }
        if (params.query.includes('.signals (') && ++inserts === 2) { console.log('ABORT'); ac.abort(new Error('killed')); }
        return result;
      };
    },
  });
  const r = await new ClickHouseProjector({ log: log.log, serde: log.serde, database, batchRows: 50, topics: ['signals'], client: killing, onLog: console.log }).catchUp({ signal: ac.signal });
  console.log(JSON.stringify(r));
  console.log(await new OffsetStore(client, database, 'clickhouse-projector').load(), await counts(client, database, 'signals'));
} finally { await client.close(); await log.close(); await server.stop(); }
