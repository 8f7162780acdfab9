import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../lib/log.ts';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';

test('the Kafka log reports its retries through the logger it is given, redacted; it writes nothing to stderr itself', async () => {
  let records = '';
  const logger = createLogger({ format: 'json', stream: { write: (chunk: string) => void (records += chunk) } });
  let direct = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    direct += String(chunk);
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
  try {
    // A broker given as a URL with a password (kafkajs takes host:port, so it never connects:
    // every attempt fails, is retried and logged until the short backoff gives up). The error
    // itself still names the password: the CLI redacts its one-line failure (cli/main.ts).
    await assert.rejects(
      KafkaEventLog.connect({ brokers: ['kafka://alice:s3cretPW@127.0.0.1:1'], logger, connectionTimeoutMs: 200, backoff: { initialMs: 10, maxMs: 20, maxElapsedMs: 3_000 } }),
      /connect to Kafka at kafka:\/\/alice:s3cretPW@127\.0\.0\.1:1: gave up/,
    );
  } finally {
    process.stderr.write = write;
  }
  assert.equal(direct, '');
  const lines = records.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; msg: string });
  assert.ok(lines.length >= 1 && lines.every((l) => l.event === 'retry'), records);
  assert.ok(!records.includes('s3cretPW'), records);
  assert.match(lines[0]?.msg ?? '', /^connect to Kafka at kafka:\/\/alice:\*\*\*@127\.0\.0\.1:1: attempt 1 failed/);
});
