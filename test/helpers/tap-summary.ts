/**
 * The closing line of `.ci/run`: "N passed, N failed, N skipped" from the TAP output of one or
 * more `node --test` runs (npm test runs two lanes, each ending in its own "# pass"/"# fail" lines).
 *
 * - passed: the sum of the runs' "# pass" lines.
 * - failed: the sum of "# fail" and "# cancelled" (a test cut off by its timeout, or by its file
 *   ending, is cancelled: it did not pass), plus every suite that failed itself rather than
 *   through its tests: node counts no test for a suite whose body threw, e.g. a test file in a
 *   shard (test/helpers/shard.ts) that failed to import.
 * - skipped: every test and suite reported "# SKIP", at any depth. Node's own "# skipped" counts
 *   skipped tests only: a suite skipped as a whole (no broker, no Docker engine) and the tests in
 *   it appear nowhere in it.
 *
 * Run as a script it reads TAP on stdin and prints the line.
 */
export interface TapSummary {
  passed: number;
  failed: number;
  skipped: number;
}

export function summarizeTap(tap: string): TapSummary {
  const sum = (key: string): number => [...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  const skipped = tap.match(/^ *(?:not )?ok \d+ - .*# SKIP\b.*$/gm)?.length ?? 0;
  return { passed: sum('pass'), failed: sum('fail') + sum('cancelled') + failedSuites(tap), skipped };
}

/** "not ok" suites whose YAML block says they failed by themselves, not by a subtest. */
function failedSuites(tap: string): number {
  const lines = tap.split('\n');
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const head = /^( *)not ok \d+ - /.exec(lines[i] ?? '');
    if (head === null) continue;
    const end = `${head[1] ?? ''}  ...`;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length && lines[j] !== end && !/^ *(?:not )?ok \d+ - /.test(lines[j] ?? ''); j++) block.push(lines[j] ?? '');
    const yaml = block.join('\n');
    if (/^ *type: 'suite'$/m.test(yaml) && !/^ *failureType: 'subtestsFailed'$/m.test(yaml)) n++;
  }
  return n;
}

export function summaryLine(s: TapSummary): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

if (import.meta.filename === process.argv[1]) {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const s = summarizeTap(Buffer.concat(chunks).toString('utf8'));
  process.stdout.write(`${s.passed} ${s.failed} ${s.skipped}\n`);
}
