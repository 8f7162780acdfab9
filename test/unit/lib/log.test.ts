import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, defaultLogFormat } from '../../../lib/log.ts';
import { nextEvent } from '../../../lib/instrumentation.ts';
import { hostEvents } from '../../../hosts/host-events.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { logRecords } from '../../helpers/log-records.ts';

describe('lib/log.ts: one structured logger', () => {
  test('pretty on a terminal, JSON lines otherwise', () => {
    assert.equal(defaultLogFormat({ isTTY: true }), 'pretty');
    assert.equal(defaultLogFormat({ isTTY: false }), 'json');
    assert.equal(defaultLogFormat({}), 'json');
  });

  test('a JSON record: level, ISO time, pid, the child component, event fields and the message', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', stream: { write: (l: string) => void lines.push(l) } });
    log.child({ component: 'checkpoints' }).info({ event: 'resume', inputs: 42 }, 'resuming from the checkpoint at input 42');
    log.debug('below the default level: dropped');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    const r = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(r.level, 30);
    assert.match(String(r.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(r.pid, process.pid);
    assert.deepEqual([r.component, r.event, r.inputs, r.msg], ['checkpoints', 'resume', 42, 'resuming from the checkpoint at input 42']);
  });
});

describe('lib/instrumentation.ts: typed events', () => {
  test('nextEvent resolves with the payload of the next event of that name', async () => {
    const events = hostEvents();
    const next = nextEvent(events, 'caught-up');
    events.emit('live', { liveStart: 1, speed: 2 });
    events.emit('caught-up', { inputs: 7 });
    assert.deepEqual(await next, [{ inputs: 7 }]);
  });
});

describe('the CLI edge: --log-format', () => {
  test('json: stderr lines are records; pretty: none is; stdout the same; a bad value is a one-line usage error', async () => {
    const bad = await runCli(['--log-format=xml', 'models', 'list']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(bad.stderr, 'tickflow: --log-format "xml": must be one of json, pretty\n');
    // A registry with one invalid model: `models list` logs that it skipped it.
    const { dir, cleanup } = tempDir('tickflow-log-format-');
    try {
      mkdirSync(join(dir, 'm1'));
      writeFileSync(join(dir, 'm1', 'manifest.json'), '{}');
      const asJson = await runCli(['--log-format', 'json', 'models', 'list', '--dir', dir]);
      assert.equal(asJson.code, 0, asJson.stderr);
      const records = logRecords(asJson.stderr);
      assert.equal(records.length, asJson.stderr.trim().split('\n').length, asJson.stderr);
      assert.deepEqual(records.map((r) => [r.level, r.msg]), [[30, 'skipped (no valid manifest): m1']]);
      const asPretty = await runCli(['models', 'list', '--dir', dir, '--log-format=pretty']);
      assert.equal(asPretty.stdout, asJson.stdout, 'stdout does not depend on the log format');
      assert.deepEqual(logRecords(asPretty.stderr), []);
      assert.match(asPretty.stderr, /^\[\d\d:\d\d:\d\d\] INFO: skipped \(no valid manifest\): m1\n$/);
    } finally {
      cleanup();
    }
  });
});
