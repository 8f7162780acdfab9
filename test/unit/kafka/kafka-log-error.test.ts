import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { isTransient } from '../../../storage/kafka/kafka-log-error.ts';

// kafkajs is CommonJS: its error classes come through the default export.
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs as unknown as Record<string, new (e: unknown, o?: object) => Error>;

test('a refused connection is transient, also when nested kafkajs retriers wrapped it', () => {
  const refused = new KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' });
  assert.equal(isTransient(refused), true);
  // What kafkajs's retrier does (src/retry/index.js): the inner one gives up with
  // NumberOfRetriesExceeded; the outer one, seeing a non-retriable error, wraps it as
  // NonRetriableError with the same cause. A producer.send during a broker restart threw this.
  const inner = new KafkaJSNumberOfRetriesExceeded!(refused, { retryCount: 5, retryTime: 3000, cause: refused });
  const outer = new KafkaJSNonRetriableError!(inner, { cause: refused });
  assert.equal(isTransient(inner), true);
  assert.equal(isTransient(outer), true);
});

test('a non-retriable error stays non-retriable when wrapped', () => {
  const bad = new KafkaJSProtocolError!({ message: 'The request attempted to perform an operation on an invalid topic.', type: 'INVALID_TOPIC_EXCEPTION', code: 17, retriable: false });
  assert.equal(isTransient(bad), false);
  assert.equal(isTransient(new KafkaJSNonRetriableError!(bad, { cause: bad })), false);
  assert.equal(isTransient(new KafkaJSNonRetriableError!('programmer error')), false);
});
