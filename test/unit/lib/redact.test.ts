import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { redactCredentials } from '../../../lib/redact.ts';
import { cliLogger, info, setCliLogger } from '../../../cli/output.ts';
import { createLogger } from '../../../lib/log.ts';
import { clickHouseCredentials } from '../../../sinks/clickhouse/open-clickhouse.ts';

describe('secrets never printed', () => {
  test('the password of a URL with credentials and secret query values are redacted; the rest is kept', () => {
    assert.equal(redactCredentials('clickhouse: projecting into http://alice:s3cretPW@db.example:8123 (default)'), 'clickhouse: projecting into http://alice:***@db.example:8123 (default)');
    assert.equal(redactCredentials('a https://u:p%40ss@h/x and b kafka://k:v@h:9092'), 'a https://u:***@h/x and b kafka://k:***@h:9092');
    assert.equal(redactCredentials('http://h:8123/?user=a&password=s3cret&x=1'), 'http://h:8123/?user=a&password=***&x=1');
    // Nothing to hide: unchanged (a user without a password, host:port, times).
    for (const s of ['http://alice@h:8123', 'http://localhost:8123', '2026-01-05T10:00:00Z 12:30']) assert.equal(redactCredentials(s), s);
  });

  test('every line the CLI logs for people goes through the redaction (message and fields)', () => {
    const saved = cliLogger();
    let out = '';
    setCliLogger(createLogger({ format: 'json', stream: { write: (chunk: string) => void (out += chunk) } }));
    try {
      info('clickhouse: projecting derived topics into http://alice:s3cretPW@127.0.0.1:8123 (default)');
      cliLogger().info({ url: 'http://bob:hunter2@h:8123' }, 'connected');
    } finally {
      setCliLogger(saved);
    }
    assert.ok(!out.includes('s3cretPW') && !out.includes('hunter2'), out);
    const [first, second] = out.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; url?: string });
    assert.match(first?.msg ?? '', /alice:\*\*\*@127\.0\.0\.1:8123/);
    assert.equal(second?.url, 'http://bob:***@h:8123');
  });

  test('the ClickHouse password can come from the environment or a file instead of the URL', () => {
    assert.deepEqual(clickHouseCredentials('http://alice:pw@h:8123', { env: { CLICKHOUSE_PASSWORD: 'other' } }), { url: 'http://alice:pw@h:8123' });
    assert.deepEqual(clickHouseCredentials('http://alice@h:8123', { env: { CLICKHOUSE_PASSWORD: 's3cret' } }), { url: 'http://h:8123', username: 'alice', password: 's3cret' });
    assert.deepEqual(clickHouseCredentials('http://h:8123', { env: { CLICKHOUSE_PASSWORD_FILE: '/run/secrets/ch' }, readFile: (p) => (p === '/run/secrets/ch' ? 'fromfile\n' : '') }), { url: 'http://h:8123', username: 'default', password: 'fromfile' });
    assert.deepEqual(clickHouseCredentials('http://h:8123', { env: {} }), { url: 'http://h:8123' });
  });
});
