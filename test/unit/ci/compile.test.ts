// test/compile.ts: what `npm test` runs is the TypeScript source with its types stripped, and a
// compiled module imports only compiled modules (docs/testing.md, "Tests run compiled").
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { transform } from 'esbuild';
import { COMPILED, rewriteImports } from '../../compile.ts';

test('relative .ts imports (static, re-export, type-free dynamic) point at .compiled.js; other strings and packages are left alone', async () => {
  const source = [
    "import { a } from './a.ts';",
    "import b from '../up/b.ts';",
    "import './side-effect.ts';",
    "export { c } from './c.ts';",
    "export * from './d.ts';",
    "import type { T } from './types-only.ts';",
    "import { z } from 'zod';",
    "import { readFileSync } from 'node:fs';",
    "const lazy = async () => import('./lazy.ts');",
    "const path = 'cli/main.ts';",
    "const args = ['--import', 'tsx', './x.ts'];",
    'const t: T | null = null;',
    'export const all = [a, b, lazy, path, args, z, readFileSync, t];',
  ].join('\n');
  const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022', tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } } });
  const out = rewriteImports(code);
  for (const spec of ['./a', '../up/b', './side-effect', './c', './d', './lazy']) assert.ok(out.includes(`"${spec}${COMPILED}"`), `${spec} rewritten in:\n${out}`);
  assert.ok(!out.includes('types-only'), 'a type-only import is erased');
  assert.ok(out.includes('"zod"') && out.includes('"node:fs"'), 'package imports untouched');
  // Strings that merely end in .ts are data, not imports: a path a test spawns stays as written.
  assert.ok(out.includes('"cli/main.ts"') && out.includes('"./x.ts"'), `non-import strings untouched:\n${out}`);
});

test('a compiled module graph runs and imports its compiled siblings, not the .ts files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-compile-'));
  try {
    const compileOne = async (name: string, source: string): Promise<void> => {
      const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022', tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } } });
      writeFileSync(join(dir, `${name}${COMPILED}`), rewriteImports(code));
    };
    await compileOne('leaf', 'export const where: string = import.meta.url;');
    await compileOne('root', "import { where } from './leaf.ts';\nexport const seen: string = where;");
    // The .ts files are absent: the compiled root can only have loaded the compiled leaf.
    assert.ok(!existsSync(join(dir, 'leaf.ts')));
    const mod = (await import(pathToFileURL(join(dir, `root${COMPILED}`)).href)) as { seen: string };
    assert.equal(mod.seen, pathToFileURL(join(dir, `leaf${COMPILED}`)).href);
    assert.match(readFileSync(join(dir, `root${COMPILED}`), 'utf8'), /from "\.\/leaf\.compiled\.js"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
