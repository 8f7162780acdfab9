// `npm test` runs compiled JavaScript (docs/testing.md, "Tests run compiled", decisions D167).
//
//   node --import tsx test/compile.ts          write <file>.compiled.js beside every <file>.ts
//   node --import tsx test/compile.ts --clean  remove every *.compiled.js
//
// Through tsx, every module a process loads (ours and every package's) passes tsx's resolve and
// load hooks, which Node 20 runs on a separate thread: a `replay dataset` on a tiny log cost 1.6
// CPU-s through tsx and 0.8 compiled. The suite starts hundreds of such processes. The same
// esbuild transform tsx applies (types stripped, nothing else changed) runs here once, over every
// source directory tsconfig.json type-checks, in about a second; relative imports of `.ts` files
// are pointed at their `.compiled.js` siblings, so a compiled module only ever loads compiled
// modules. Beside the source (not in a separate tree) so `import.meta.dirname` and every path a
// module derives from it (fixtures, schemas, static files) stay the same.
//
// Each compiled file has a source map beside it: run with --enable-source-maps (npm test does),
// a failure's stack names the .ts file, line and column.
//
// The names end in `.compiled.js` so they cannot be mistaken for committed `.js` files, and
// .gitignore and eslint.config.js ignore them. test/run-suite.sh cleans and compiles before the
// run and cleans after it, so a compiled file never outlives the source it came from.
import { transform } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
/** The suffix of a compiled module, in place of `.ts`. */
export const COMPILED = '.compiled.js';

interface TsConfig {
  include: string[];
  compilerOptions: { target: string; verbatimModuleSyntax?: boolean };
}
const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as TsConfig;

/** Every file under the tsconfig's directories whose name passes `keep`, relative to the root. */
function walk(keep: (name: string) => boolean): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules') visit(p);
      else if (e.isFile() && keep(e.name)) found.push(relative(ROOT, p));
    }
  };
  for (const dir of tsconfig.include) visit(join(ROOT, dir));
  return found;
}

/**
 * Points relative `.ts` imports (static, re-export and literal dynamic ones) at `.compiled.js`.
 * esbuild prints every import specifier in double quotes, so the pattern sees only its output.
 */
export function rewriteImports(code: string): string {
  return code.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)"(\.\.?\/[^"]*?)\.ts"/g, `$1"$2${COMPILED}"`);
}

export function clean(): number {
  const files = walk((name) => name.endsWith(COMPILED) || name.endsWith(`${COMPILED}.map`));
  for (const f of files) rmSync(join(ROOT, f));
  return files.length;
}

export async function compile(): Promise<number> {
  const sources = walk((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));
  await Promise.all(
    sources.map(async (file) => {
      const { code, map } = await transform(readFileSync(join(ROOT, file), 'utf8'), {
        loader: 'ts',
        format: 'esm',
        target: tsconfig.compilerOptions.target.toLowerCase(),
        sourcefile: basename(file),
        sourcemap: 'external',
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: tsconfig.compilerOptions.verbatimModuleSyntax ?? false } },
      });
      const out = join(ROOT, file.slice(0, -'.ts'.length) + COMPILED);
      writeFileSync(`${out}.map`, map);
      writeFileSync(out, `${rewriteImports(code)}//# sourceMappingURL=${basename(out)}.map\n`);
    }),
  );
  return sources.length;
}

if (process.argv[1] === import.meta.filename) {
  const t0 = performance.now();
  const removed = clean();
  if (process.argv[2] === '--clean') {
    console.log(`# compile: removed ${removed} compiled files`);
  } else {
    const n = await compile();
    console.log(`# compile: ${n} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
