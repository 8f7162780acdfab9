import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkExposure } from '../../../cli/dashboard-server.ts';
import { UsageError } from '../../../cli/output.ts';
import { isLoopbackHost } from '../../../sinks/ws/access.ts';
import { runCli } from '../../helpers/cli.ts';

test('loopback hosts need no token; any other host does', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.5', 'example.com']) assert.equal(isLoopbackHost(h), false, h);
  assert.equal(checkExposure('127.0.0.1', undefined), '');
  assert.throws(() => checkExposure('0.0.0.0', undefined), (e: unknown) => e instanceof UsageError && /pass --token/.test(e.message));
  assert.equal(checkExposure('0.0.0.0', 'sixteen-chars-ok'), 'sixteen-chars-ok');
  assert.throws(() => checkExposure('0.0.0.0', 'short'), /16 to 256 printable characters/);
});

test('`run gateway --host 0.0.0.0` without --token is a usage error (exit 2) before anything connects', async () => {
  const r = await runCli(['run', 'gateway', '--broker', '127.0.0.1:1', '--host', '0.0.0.0']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /pass --token/);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});
