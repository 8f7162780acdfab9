/**
 * ReadAhead keeps what a fetch returned past a bounded read's end and hands it to the next read
 * that starts there or inside it, exactly the records a fetch from that offset would give (the
 * gaps where control or aborted records were stay gaps). Any other offset is a miss.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogRecord } from '../../../storage/log/event-log.ts';
import { ReadAhead } from '../../../storage/kafka/read-ahead.ts';

const rec = (offset: number): LogRecord => ({ topic: 't', partition: 0, offset, key: 'k', timestamp: offset, value: new Uint8Array([offset & 0xff]) });
// A fetch from 10: records 10..19 without 13 and 17 (say, transaction markers), next offset 20.
const run = () => ({ records: [10, 11, 12, 14, 15, 16, 18, 19].map(rec), nextOffset: 20 });

test('a read that starts where the previous one ended gets the rest of the fetch, once', () => {
  const ra = new ReadAhead();
  ra.keep('t', 0, 12, run());
  assert.equal(ra.take('t', 0, 11), undefined, 'before the kept part');
  const got = ra.take('t', 0, 12);
  assert.deepEqual(got?.records.map((r) => r.offset), [12, 14, 15, 16, 18, 19]);
  assert.equal(got?.nextOffset, 20);
  assert.equal(ra.take('t', 0, 12), undefined, 'taken: gone');
  assert.equal(ra.hits, 1);
});

test('a read starting inside the kept part (or on a gap) gets the records from there on; at or past nextOffset it misses', () => {
  const ra = new ReadAhead();
  ra.keep('t', 0, 12, run());
  assert.deepEqual(ra.take('t', 0, 13)?.records.map((r) => r.offset), [14, 15, 16, 18, 19]);
  ra.keep('t', 0, 12, run());
  assert.deepEqual(ra.take('t', 0, 19)?.records.map((r) => r.offset), [19]);
  ra.keep('t', 0, 12, run());
  assert.equal(ra.take('t', 0, 20), undefined);
  assert.equal(ra.take('t', 1, 12), undefined, 'another partition');
  assert.equal(ra.take('u', 0, 12), undefined, 'another topic');
});

test('nothing is kept for a fetch that ended at the read end; a later keep replaces the partition entry; the oldest entry goes past maxEntries', () => {
  const ra = new ReadAhead(2);
  ra.keep('t', 0, 20, run());
  assert.equal(ra.take('t', 0, 19), undefined);
  ra.keep('t', 0, 12, run());
  ra.keep('t', 0, 16, run());
  assert.equal(ra.take('t', 0, 12), undefined, 'replaced by the keep from 16');
  ra.keep('t', 0, 16, run());
  ra.keep('t', 1, 16, run());
  ra.keep('t', 2, 16, run());
  assert.equal(ra.take('t', 0, 16), undefined, 'evicted');
  assert.deepEqual(ra.take('t', 1, 16)?.records.map((r) => r.offset), [16, 18, 19]);
  assert.deepEqual(ra.take('t', 2, 16)?.records.map((r) => r.offset), [16, 18, 19]);
});
