/**
 * The lint configuration is part of the architecture: these tests plant code that breaks a rule
 * (an import that runs back up a layer, a wall-clock call in processors/) and check that eslint
 * names it. The planted text is linted in memory under a path of the layer; nothing is written.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(import.meta.dirname, '../../..');
// Every layer zone and determinism rule is the repository's own configuration. The rules checked
// here need no type information, so the probes are linted without it (typescript-eslint's
// disableTypeChecked: no TypeScript program is built, which cost most of this file's 13.6 CPU s),
// and without import-x/no-cycle (it parses every module a probe imports, and nothing imports a
// probe, so a probe cannot close a cycle). `npx eslint .` still runs both on the real files.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [
    { files: ['**/lint-probe.ts'], ...tseslint.configs.disableTypeChecked },
    { files: ['**/lint-probe.ts'], rules: { 'import-x/no-cycle': 'off' } },
  ],
});

async function ruleIds(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

test('an import that runs back up a layer fails lint', async () => {
  const planted = "import { MergedReader } from '../hosts/merged-reader.ts';\nexport const probe = MergedReader;\n";
  assert.deepEqual(await ruleIds('processors/lint-probe.ts', planted), ['import-x/no-restricted-paths']);
  const storageFromModel = "import { openLog } from '../storage/log/open-log.ts';\nexport const probe = openLog;\n";
  assert.deepEqual(await ruleIds('model/lint-probe.ts', storageFromModel), ['import-x/no-restricted-paths']);
  const sinkFromSource = "import { SignalServer } from '../../sinks/ws/signal-server.ts';\nexport const probe = SignalServer;\n";
  assert.deepEqual(await ruleIds('sources/ingest/lint-probe.ts', sinkFromSource), ['import-x/no-restricted-paths']);
});

test('the same import pointing inward is allowed', async () => {
  const inward = "import { MergedReader } from '../hosts/merged-reader.ts';\nexport const probe = MergedReader;\n";
  assert.deepEqual(await ruleIds('research/lint-probe.ts', inward), []);
});

test('wall time, randomness, environment and I/O in processors/ fail lint', async () => {
  const cases = [
    'export const t = Date.now();',
    'export const t = new Date();',
    'export const r = Math.random();',
    'export const e = process.env.TZ;',
    'export const p = performance.now();',
    'export const g = globalThis.Date;',
    "import { randomBytes } from 'node:crypto';\nexport const r = randomBytes(4);",
    "import { hostname } from 'node:os';\nexport const h = hostname();",
    "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;",
    'setTimeout(() => undefined, 1);',
    "import { sleep } from '../lib/sleep.ts';\nexport const s = sleep;",
    "import { createLogger } from '../lib/log.ts';\nexport const l = createLogger;",
    "import { Instrumentation } from '../lib/instrumentation.ts';\nexport const i = Instrumentation;",
    "import { pino } from 'pino';\nexport const p = pino;",
  ];
  for (const code of cases) {
    const ids = await ruleIds('processors/lint-probe.ts', code + '\n');
    assert.ok(ids.length > 0, `lint should reject in processors/: ${code}`);
    // The same code outside the kernel is not a determinism error.
    const outside = await ruleIds('cli/lint-probe.ts', code + '\n');
    assert.ok(!outside.some((id) => /no-restricted-(syntax|globals|imports)/.test(id)), `${code} outside processors/: ${outside.join(',')}`);
  }
});

test('hashing with node:crypto stays allowed in processors/', async () => {
  const code = "import { createHash } from 'node:crypto';\nexport const h = createHash('sha256').update('x').digest('hex');\n";
  assert.deepEqual(await ruleIds('processors/lint-probe.ts', code), []);
});
