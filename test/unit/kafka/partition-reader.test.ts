/**
 * PartitionReader drops the records of aborted transactions. The librdkafka mock has no
 * transactions, so the fetch answer is made here in the shape kafkajs's decoder gives it
 * (records carry their batch's producerId and transactional flag; abort markers are control
 * records with key version 0, type 0).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AbortedTransaction, FetchedMessage, InternalCluster } from '../../../storage/kafka/kafka-cluster.ts';
import { PartitionReader } from '../../../storage/kafka/partition-reader.ts';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

function record(offset: number, producerId: string, inTransaction = true): FetchedMessage {
  return { offset: String(offset), timestamp: '0', key: Buffer.from(producerId), value: Buffer.from(`v${offset}`), batchContext: { producerId, inTransaction } } as FetchedMessage;
}
function marker(offset: number, producerId: string, key: Buffer): FetchedMessage {
  return { offset: String(offset), timestamp: '0', key, value: null, isControlRecord: true, batchContext: { producerId, inTransaction: true } } as FetchedMessage;
}

/** A reader whose single broker answers every fetch with these messages. */
function readerFor(messages: FetchedMessage[], abortedTransactions: AbortedTransaction[]): PartitionReader {
  const broker = { fetch: async () => ({ responses: [{ topicName: 't', partitions: [{ partition: 0, highWatermark: '0', abortedTransactions, messages }] }] }) };
  const cluster = {
    addTargetTopic: async () => undefined,
    refreshMetadataIfNecessary: async () => undefined,
    findLeaderForPartitions: () => ({ '0': [0] }),
    findBroker: async () => broker,
  } as unknown as InternalCluster;
  return new PartitionReader(cluster, 1 << 20);
}

test('records of an aborted transaction are dropped; committed and non-transactional ones kept; nextOffset passes all', async () => {
  const messages = [record(0, 'A'), record(1, 'B'), record(2, 'A'), record(3, 'N', false), marker(4, 'A', ABORT), marker(5, 'B', COMMIT), record(6, 'A')];
  const got = await readerFor(messages, [{ producerId: 'A', firstOffset: '0' }]).fetch('t', 0, 0, 0);
  assert.deepEqual(got.records.map((r) => r.offset), [1, 3, 6]);
  assert.equal(got.nextOffset, 7);
});

test('two aborted transactions both open where the fetch starts: neither leaks', async () => {
  // A began at 100, B at 101 (both aborted); the fetch starts at B's record 102.
  const messages = [record(102, 'B'), record(103, 'A'), marker(104, 'B', ABORT), marker(105, 'A', ABORT), record(106, 'B')];
  const aborted = [{ producerId: 'A', firstOffset: '100' }, { producerId: 'B', firstOffset: '101' }];
  const got = await readerFor(messages, aborted).fetch('t', 0, 102, 0);
  assert.deepEqual(got.records.map((r) => r.offset), [106]);
  assert.equal(got.nextOffset, 107);
});

test('a fetch of aborted records only still advances nextOffset', async () => {
  const messages = [record(10, 'A'), record(11, 'A'), marker(12, 'A', ABORT)];
  const got = await readerFor(messages, [{ producerId: 'A', firstOffset: '10' }]).fetch('t', 0, 10, 0);
  assert.deepEqual(got.records, []);
  assert.equal(got.nextOffset, 13);
});
