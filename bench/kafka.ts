// node --import tsx bench/kafka.ts [--records 500000] [--json] [--brokers host:port,...] [--live-hours 12] [--speed 900] [--live-only]
// On a real Kafka broker (one of its own from kafka/broker.ts, or --brokers): produces N trades
// through tickflow's serde and KafkaEventLog, consumes them back through the full decode path
// (KafkaEventLog.read + serde.decodeAs), and in the same run times the broker's own perf tools
// from the same jars: org.apache.kafka.tools.ProducerPerformance (kafka-producer-perf-test) with
// records of the same size, and ConsumerPerformance (kafka-consumer-perf-test) on tickflow's topic.
// Absolute numbers are noisy on a shared 2-core machine; the ratios are the figures.
// Then, on its own broker only, live bar-close → signal latency through Kafka (bench/kafka-live.ts):
// a live feed and one `run processors` member, p50/p99 per signal (--live-hours 0 skips it).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaClasspath, kafkaUnavailable, KAFKA_VERSION, startKafkaCluster } from '../kafka/broker.ts';
import { TRADE_SCHEMA, type Trade } from '../schemas/trade.ts';
import { KafkaEventLog } from '../storage/kafka/kafka-event-log.ts';
import { createLogger } from '../lib/log.ts';
import { openKafkaSchemas } from '../storage/kafka/kafka-schemas.ts';
import { benchSay } from './say.ts';
import { liveLatency, type LiveLatency } from './kafka-live.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '500000' }, json: { type: 'boolean', default: false }, brokers: { type: 'string' }, 'live-hours': { type: 'string', default: '12' }, speed: { type: 'string', default: '900' }, 'live-only': { type: 'boolean', default: false } } });
const total = Number(values.records);
if (!Number.isSafeInteger(total) || total < 1) throw new Error('--records must be a positive integer');
const liveHours = Number(values['live-hours']);
const speed = Number(values.speed);
if (!(liveHours >= 0) || !(speed > 0)) throw new Error('--live-hours must be >= 0 and --speed > 0');
if (values['live-only'] && (values.brokers || liveHours === 0)) throw new Error('--live-only needs the benchmark\'s own broker (no --brokers) and --live-hours > 0');
const say = benchSay('kafka');
const logger = createLogger().child({ component: 'bench kafka' });

const unavailable = kafkaUnavailable();
if (unavailable) {
  say(unavailable);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'tickflow-bench-kafka-'));
const cluster = values.brokers ? undefined : await startKafkaCluster({ dir: join(work, 'broker'), logger });
const brokers = values.brokers ? values.brokers.split(',') : cluster!.brokers;
const classpath = await kafkaClasspath(logger);
const schemas = await openKafkaSchemas({ schemaDir: join(work, 'schemas') });
const log = await KafkaEventLog.connect({ brokers, logger });
const topic = `bench-trades-${Date.now().toString(36)}`;
try {
  const throughput = values['live-only'] ? null : await measureThroughput();
  // The live part needs the catalogue's topic names empty: only on the benchmark's own broker.
  let live: LiveLatency | null = null;
  if (liveHours > 0 && cluster) live = await liveLatency({ brokers, dir: work, liveHours, speed, say });
  else if (liveHours > 0) say('live latency skipped: it runs only on the benchmark\'s own broker (without --brokers)');
  const result = { ...(throughput ?? { kafka: KAFKA_VERSION }), live };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    if (throughput) printThroughput(throughput);
    if (live) {
      const ms = (x: number | null): string => (x === null ? 'n/a' : `${x} ms`);
      process.stdout.write(
        [
          `live through Kafka, ${live.liveHours} market hours at --speed ${live.speed} (load average ${live.loadStart.join(' ')} → ${live.loadEnd.join(' ')})`,
          `bar close → signal append ack            p50 ${ms(live.p50)}   p99 ${ms(live.p99)}   max ${ms(live.max)}   (${live.signals} signals)`,
          `progress read → signal append ack        p50 ${ms(live.roundP50)}   p99 ${ms(live.roundP99)}   (${live.rounds} rounds)`,
          '',
        ].join('\n'),
      );
    }
  }
} finally {
  await log.close();
  await schemas.close();
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** One of Kafka's tools on the broker's classpath; resolves to its stdout. */
function java(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('java', ['-Xmx512m', '-XX:+UseSerialGC', '-Dlog4j2.level=WARN', '-cp', classpath, ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args[0]} failed: ${err.message}\n${stderr.slice(-2_000)}`));
      else resolve(stdout);
    });
  });
}

/** ConsumerPerformance prints a CSV header and one line: nMsg.sec is over the whole run, fetch.nMsg.sec after the group's first assignment. */
function consumerCsv(out: string): { nMsgSec: number; fetchNMsgSec: number } {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const header = lines.find((l) => l.startsWith('start.time'));
  const names = header?.split(',').map((x) => x.trim()) ?? [];
  const row = lines.filter((l) => l !== header && l.split(',').length === names.length).pop()?.split(',').map((x) => x.trim()) ?? [];
  const get = (name: string): number => Number(row[names.indexOf(name)]);
  const result = { nMsgSec: get('nMsg.sec'), fetchNMsgSec: get('fetch.nMsg.sec') };
  if (!(result.nMsgSec > 0 && result.fetchNMsgSec > 0)) throw new Error(`unexpected ConsumerPerformance output:\n${out}`);
  return result;
}

/** Produce and consume+decode through tickflow against the broker's own perf tools (the first part). */
async function measureThroughput() {
  await schemas.serde.registerTopic(topic, TRADE_SCHEMA);
  const symbols = Array.from({ length: 64 }, (_, i) => `SYM${i}`);
  say(`producing ${total} trades to ${topic} on Kafka ${KAFKA_VERSION} at ${brokers.join(',')}`);
  let bytes = 0;
  const t0 = performance.now();
  const BATCH = 10_000;
  for (let start = 0; start < total; start += BATCH) {
    const records = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const t: Trade = { tsEvent: 1_700_000_000_000 + i, tsInit: 1_700_000_000_000 + i, symbol: symbols[i % symbols.length]!, price: 100 + (i % 500) / 100, size: 1 + (i % 10), side: i % 2 ? 'BUY' : 'SELL', tradeId: i };
      const value = schemas.serde.encode(topic, t);
      bytes += value.length;
      records.push({ key: t.symbol, timestamp: t.tsInit, value });
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

  const recordSize = Math.round(bytes / total);
  say(`kafka-producer-perf-test: ${total} records of ${recordSize} bytes, acks=all`);
  const producerOut = await java(['org.apache.kafka.tools.ProducerPerformance', '--topic', `${topic}-perf`, '--num-records', String(total), '--record-size', String(recordSize), '--throughput', '-1', '--producer-props', `bootstrap.servers=${brokers.join(',')}`, 'acks=all']);
  // Last summary line: "N records sent, X records/sec (Y MB/sec), ..."
  const producerPerSec = Number(/records sent, ([\d.]+) records\/sec/.exec(producerOut.split('\n').filter((l) => l.includes('records sent')).pop() ?? '')?.[1]);
  say(`kafka-consumer-perf-test: ${total} records of ${topic}`);
  const consumerOut = await java(['org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', brokers.join(','), '--topic', topic, '--messages', String(total), '--group', `${topic}-perf`, '--timeout', '60000']);
  const consumer = consumerCsv(consumerOut);

  return {
    kafka: KAFKA_VERSION,
    records: total,
    valueBytes: recordSize,
    producePerSec: Math.round(total / produceSec),
    brokerProducerPerfPerSec: Math.round(producerPerSec),
    produceRatio: round3(total / produceSec / producerPerSec),
    consumeDecodePerSec: Math.round(total / consumeSec),
    brokerConsumerPerfPerSec: Math.round(consumer.nMsgSec),
    brokerConsumerPerfFetchPerSec: Math.round(consumer.fetchNMsgSec),
    consumeRatio: round3(total / consumeSec / consumer.nMsgSec),
    consumeToFetchRatio: round3(total / consumeSec / consumer.fetchNMsgSec),
    checksum,
  };
}

function printThroughput(result: Awaited<ReturnType<typeof measureThroughput>>): void {
  const n = (x: number): string => x.toLocaleString('en-US');
  process.stdout.write(
    [
      `Kafka ${result.kafka}, ${result.records} trades of ${result.valueBytes} bytes`,
      `produce (serde + append)                 ${n(result.producePerSec)} records/s`,
      `kafka-producer-perf-test (acks=all)      ${n(result.brokerProducerPerfPerSec)} records/s   ratio ${result.produceRatio}`,
      `consume (read + decodeAs)                ${n(result.consumeDecodePerSec)} records/s`,
      `kafka-consumer-perf-test (whole run)     ${n(result.brokerConsumerPerfPerSec)} records/s   ratio ${result.consumeRatio}`,
      `kafka-consumer-perf-test (fetch only)    ${n(result.brokerConsumerPerfFetchPerSec)} records/s   ratio ${result.consumeToFetchRatio}`,
      '',
    ].join('\n'),
  );
}
