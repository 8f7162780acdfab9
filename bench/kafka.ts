// node --import tsx bench/kafka.ts [--records 200000] [--json] [--brokers host:port,...]
// Produces N trades through tickflow's serde and KafkaEventLog into librdkafka's mock cluster
// (started through kcat; or --brokers), consumes them back through the full decode path
// (KafkaEventLog.read + serde.decodeAs), and times kcat's own raw consume of the same topic in the
// same run. Absolute numbers are noisy on a shared 2-core machine; the ratio to kcat is the figure.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Trade } from '../schemas/trade.ts';
import { KafkaEventLog } from '../storage/kafka/kafka-event-log.ts';
import { openKafkaSchemas } from '../storage/kafka/kafka-schemas.ts';
import { startKafkaMock } from '../test/helpers/kafka-mock.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, json: { type: 'boolean', default: false }, brokers: { type: 'string' } } });
const total = Number(values.records);
if (!Number.isSafeInteger(total) || total < 1) throw new Error('--records must be a positive integer');
const say = (m: string): void => void process.stderr.write(`bench kafka: ${m}\n`);

const mock = values.brokers ? { brokers: values.brokers.split(','), stop: () => Promise.resolve() } : await startKafkaMock();
if ('skip' in mock) {
  say(mock.skip);
  process.exit(2);
}
const schemaDir = mkdtempSync(join(tmpdir(), 'tickflow-bench-kafka-'));
const schemas = await openKafkaSchemas({ schemaDir });
const log = await KafkaEventLog.connect({ brokers: mock.brokers });
const topic = `bench-trades-${Date.now().toString(36)}`;
try {
  await schemas.serde.registerTopic(topic, (await import('../schemas/trade.ts')).TRADE_SCHEMA);
  // Many keys spread evenly over the partitions: the mock keeps only about 5 MB per partition
  // (measured: older records are dropped beyond that), about 70,000 of these trades.
  const symbols = Array.from({ length: 64 }, (_, i) => `SYM${i}`);
  say(`producing ${total} trades to ${topic}`);
  const t0 = performance.now();
  const BATCH = 10_000;
  for (let start = 0; start < total; start += BATCH) {
    const records = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const t: Trade = { tsEvent: 1_700_000_000_000 + i, tsInit: 1_700_000_000_000 + i, symbol: symbols[i % symbols.length]!, price: 100 + (i % 500) / 100, size: 1 + (i % 10), side: i % 2 ? 'BUY' : 'SELL', tradeId: i };
      records.push({ key: t.symbol, timestamp: t.tsInit, value: schemas.serde.encode(topic, t) });
    }
    await log.append(topic, records);
  }
  const produceSec = (performance.now() - t0) / 1000;

  say('consuming through KafkaEventLog.read + serde.decodeAs');
  const t1 = performance.now();
  let consumed = 0;
  let checksum = 0;
  const partitions = await log.partitions(topic);
  for (let p = 0; p < partitions; p++) {
    for await (const batch of log.read(topic, p, { batchSize: 8192 })) {
      for (const r of batch) checksum += schemas.serde.decodeAs<Trade>(topic, r.value).size;
      consumed += batch.length;
    }
  }
  const consumeSec = (performance.now() - t1) / 1000;
  if (consumed !== total) throw new Error(`consumed ${consumed} of ${total} records`);

  say('consuming with kcat (raw, no decode)');
  const kcatSec = await timeKcat(mock.brokers.join(','), topic);

  const result = {
    records: total,
    producePerSec: Math.round(total / produceSec),
    consumeDecodePerSec: Math.round(total / consumeSec),
    kcatConsumePerSec: Math.round(total / kcatSec),
    consumeToKcatRatio: Math.round((kcatSec / consumeSec) * 1000) / 1000,
    checksum,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `records                        ${result.records}`,
        `produce (serde + append)       ${result.producePerSec.toLocaleString('en-US')} records/s`,
        `consume (read + decodeAs)      ${result.consumeDecodePerSec.toLocaleString('en-US')} records/s`,
        `kcat raw consume               ${result.kcatConsumePerSec.toLocaleString('en-US')} records/s`,
        `consume / kcat ratio           ${result.consumeToKcatRatio}`,
        '',
      ].join('\n'),
    );
  }
} finally {
  await log.close();
  await schemas.close();
  rmSync(schemaDir, { recursive: true, force: true });
  await mock.stop();
}

/** Wall time of `kcat -C -b <bootstrap> -t <topic> -e -o beginning -q > /dev/null`, seconds. */
function timeKcat(bootstrap: string, t: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const proc = spawn('kcat', ['-C', '-b', bootstrap, '-t', t, '-e', '-o', 'beginning', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? resolve((performance.now() - start) / 1000) : reject(new Error(`kcat exited with ${code}`))));
  });
}
