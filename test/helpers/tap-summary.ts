/**
 * The closing line of `.ci/run`: "N passed, N failed, N skipped" from the TAP output of one or
 * more `node --test` runs (npm test runs two lanes, each ending in its own "# pass"/"# fail" lines).
 *
 * - passed: the sum of the runs' "# pass" lines.
 * - failed: the sum of "# fail" and "# cancelled" (a test cut off by its timeout, or by its file
 *   ending, is cancelled: it did not pass).
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
  return { passed: sum('pass'), failed: sum('fail') + sum('cancelled'), skipped };
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
