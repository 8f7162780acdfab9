import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseCommand } from '../../../cli/command-spec.ts';
import { UsageError } from '../../../cli/output.ts';
import { MIRROR } from '../../../cli/specs/mirror.ts';
import { PATTERNS } from '../../../cli/specs/patterns.ts';
import { VERIFY } from '../../../cli/specs/verify.ts';
import { tempDir } from '../../helpers/cli.ts';

/** The one-line message parseCommand throws for `argv`. */
function usage(spec: Parameters<typeof parseCommand>[0], argv: string[]): string {
  try {
    parseCommand(spec, argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return e.message;
  }
  assert.fail(`no usage error for ${argv.join(' ')}`);
}

describe('flags: a value\'s own mistake is named before what a path names on disk; read commands never create a log', () => {
  const tmp = tempDir('tickflow-flag-order-');
  const missingLog = join(tmp.dir, 'no-log');
  const missingModel = join(tmp.dir, 'no-model');
  after(() => tmp.cleanup());

  test('verify --progress-seconds 0 with a missing model and log names the bad number', () => {
    // Before: the model's "holds no model" came first (flags were reported in declaration order).
    assert.equal(usage(VERIFY, ['--log', missingLog, '--model', missingModel, '--progress-seconds', '0']), '--progress-seconds "0": must be a number > 0');
    // With the number right, the missing log is the message (it is declared first), then the model.
    assert.match(usage(VERIFY, ['--log', missingLog, '--model', missingModel]), /^--log ".*no-log": no such directory \(read commands never create a log\)$/);
    assert.match(usage(PATTERNS, ['--log', missingLog, '--horizon', 'x']), /^--horizon "x": /);
    assert.equal(existsSync(missingLog), false);
  });

  test('mirror --from a missing or non-log directory is refused before anything is opened', () => {
    assert.equal(usage(MIRROR, ['--from', missingLog, '--to', join(tmp.dir, 'out')]), `--from ${JSON.stringify(missingLog)}: no such directory (read commands never create a log)`);
    assert.equal(usage(MIRROR, ['--from', tmp.dir, '--to', join(tmp.dir, 'out')]), `--from ${JSON.stringify(tmp.dir)}: is not an event log (no data.mdb in it)`);
    assert.equal(existsSync(missingLog), false);
    assert.equal(existsSync(join(tmp.dir, 'out')), false);
  });
});
