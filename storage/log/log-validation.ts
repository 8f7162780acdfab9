import type { AppendRecord } from './event-log.ts';
import { LogError } from './log-error.ts';
import { MAX_KEY_BYTES } from './stored-record.ts';

/** Kafka's legal topic names, so a topic of the embedded log can always move to Kafka. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export function validateTopicName(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new LogError(`invalid topic name ${JSON.stringify(topic)}: use 1-249 of [A-Za-z0-9._-]`);
  }
}

/**
 * Checks a whole append before its transaction starts: a bad record rejects the call and nothing
 * is written. Timestamps are epoch ms as Kafka's int64 record timestamps: integers >= 0.
 */
export function validateAppend(records: readonly AppendRecord[]): void {
  if (!Array.isArray(records)) throw new LogError('append: records must be an array');
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (typeof r.key !== 'string') throw new LogError(`append: record ${i}: key must be a string`);
    if (r.key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(r.key) > MAX_KEY_BYTES) {
      throw new LogError(`append: record ${i}: key longer than ${MAX_KEY_BYTES} bytes`);
    }
    if (!Number.isSafeInteger(r.timestamp) || r.timestamp < 0) {
      throw new LogError(`append: record ${i}: timestamp must be an integer >= 0 (epoch ms), got ${r.timestamp}`);
    }
    if (!(r.value instanceof Uint8Array)) throw new LogError(`append: record ${i}: value must be a Uint8Array`);
  }
}
