import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { redactCredentials } from '../../../lib/redact.ts';
import { info } from '../../../cli/output.ts';
import { clickHouseCredentials } from '../../../sinks/clickhouse/open-clickhouse.ts';

describe('secrets never printed', () => {
  test('the password of a URL with credentials and secret query values are redacted; the rest is kept', () => {
    assert.equal(redactCredentials('clickhouse: projecting into http://alice:s3cretPW@db.example:8123 (default)'), 'clickhouse: projecting into http://alice:***@db.example:8123 (default)');
    assert.equal(redactCredentials('a https://u:p%40ss@h/x and b kafka://k:v@h:9092'), 'a https://u:***@h/x and b kafka://k:***@h:9092');
    assert.equal(redactCredentials('http://h:8123/?user=a&password=s3cret&x=1'), 'http://h:8123/?user=a&password=***&x=1');
    // Nothing to hide: unchanged (a user without a password, host:port, times).
    for (const s of ['http://alice@h:8123', 'http://localhost:8123', '2026-01-05T10:00:00Z 12:30']) assert.equal(redactCredentials(s), s);
  });

  test('every line the CLI prints for people goes through the redaction', () => {
    const write = process.stderr.write.bind(process.stderr);
    let out = '';
    process.stderr.write = ((chunk: string | Uint8Array): boolean => ((out += String(chunk)), true));
    try {
      info('clickhouse: projecting derived topics into http://alice:s3cretPW@127.0.0.1:8123 (default)');
    } finally {
      process.stderr.write = write;
    }
    assert.ok(!out.includes('s3cretPW'), out);
    assert.match(out, /alice:\*\*\*@127\.0\.0\.1:8123/);
  });

  test('the ClickHouse password can come from the environment or a file instead of the URL', () => {
    assert.deepEqual(clickHouseCredentials('http://alice:pw@h:8123', { env: { CLICKHOUSE_PASSWORD: 'other' } }), { url: 'http://alice:pw@h:8123' });
    assert.deepEqual(clickHouseCredentials('http://alice@h:8123', { env: { CLICKHOUSE_PASSWORD: 's3cret' } }), { url: 'http://h:8123', username: 'alice', password: 's3cret' });
    assert.deepEqual(clickHouseCredentials('http://h:8123', { env: { CLICKHOUSE_PASSWORD_FILE: '/run/secrets/ch' }, readFile: (p) => (p === '/run/secrets/ch' ? 'fromfile\n' : '') }), { url: 'http://h:8123', username: 'default', password: 'fromfile' });
    assert.deepEqual(clickHouseCredentials('http://h:8123', { env: {} }), { url: 'http://h:8123' });
  });
});
