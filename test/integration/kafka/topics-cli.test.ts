import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { startKafkaMock } from '../../helpers/kafka-mock.ts';

const mock = await startKafkaMock();
after(() => ('skip' in mock ? undefined : mock.stop()));

describe('tickflow topics', { skip: 'skip' in mock ? mock.skip : false, timeout: 30_000 }, () => {
  test('on the mock cluster it says CreateTopics is not supported there and exits 1 (real brokers: real-broker.test.ts)', async () => {
    const brokers = 'skip' in mock ? '' : mock.brokers.join(',');
    const r = await runCli(['topics', 'create', '--broker', brokers]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /mock cluster, which does not implement CreateTopics/);
    assert.equal(r.stdout, '');
  });

  test('usage errors exit 2', async () => {
    const r = await runCli(['topics', 'delete']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tickflow: unknown subcommand "delete" of tickflow topics: one of create/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  });
});
