import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newClusterId } from '../../../kafka/broker.ts';

// Kafka's storage tool parses its arguments with argparse4j: a cluster id that starts with '-' is
// taken for an option ("argument --cluster-id/-t: expected one argument"). URL-safe base64 starts
// with '-' one time in 64, which once failed CI's `npm run kafka:up`.
test('cluster ids are 16 bytes of URL-safe base64 and never start with a dash', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const id = newClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
    seen.add(id);
  }
  assert.equal(seen.size, 20_000);
});
