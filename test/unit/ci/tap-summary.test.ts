import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { summarizeTap, summaryLine } from '../../helpers/tap-summary.ts';

const SAMPLE = join(import.meta.dirname, '..', '..', 'fixtures', 'tap', 'sample.mjs');

/**
 * The TAP this Node version's runner writes for the sample file. It exits 1 (the sample fails on
 * purpose). NODE_TEST_CONTEXT is dropped: with it, node --test inside a test reports to its parent
 * runner instead of writing TAP.
 */
async function sampleTap(): Promise<string> {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  const r = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', SAMPLE], { env }).then(
    () => ({ code: 0, stdout: '' }),
    (e: { code: number; stdout: string }) => e,
  );
  assert.equal(r.code, 1, 'the sample has failing tests');
  return r.stdout;
}

describe(".ci/run's closing line", () => {
  test('counts skipped suites and the tests that skip themselves, a cancelled test and a suite that threw as failed', async () => {
    const tap = await sampleTap();
    // The sample (test/fixtures/tap/sample.mjs): passes twice; one test throws, one is cut off by
    // its timeout, one suite's body throws; one whole suite, one test by option and one by
    // t.skip() skip.
    assert.deepEqual(summarizeTap(tap), { passed: 2, failed: 3, skipped: 3 }, tap);
    // Node's own summary misses the skipped suite and the suite that threw: the reasons for
    // counting "# SKIP" lines and failed suites.
    assert.match(tap, /^# skipped 2$/m);
    assert.match(tap, /^# fail 1$/m);
    assert.equal(summaryLine(summarizeTap(tap)), '2 passed, 3 failed, 3 skipped');
  });

  test("sums the lanes' runs", async () => {
    const tap = await sampleTap();
    assert.deepEqual(summarizeTap(`${tap}\n# lane main: 1 files, 3 s, exit 1\n${tap}`), { passed: 4, failed: 6, skipped: 6 });
  });

  test('a run with no summary (it crashed before one) counts nothing', () => {
    assert.deepEqual(summarizeTap('TAP version 13\n'), { passed: 0, failed: 0, skipped: 0 });
  });
});
