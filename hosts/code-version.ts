import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The code a graph snapshot depends on: the pure kernel and the schemas it reads. */
const DIRS = ['processors', 'schemas'];

let cached: string | null = null;

/**
 * The code version checkpoints are bound to: sha256 over the paths and contents of every source
 * file of processors/ and schemas/. Any edit there (a feature, a window rule, a state shape)
 * makes older checkpoints foreign, so they are ignored and the log is replayed in full, rather
 * than restoring state that other code computed. Computed once per process (a few ms).
 */
export function graphCodeVersion(): string {
  if (cached !== null) return cached;
  const h = createHash('sha256');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.ts')) files.push(p);
    }
  };
  for (const d of DIRS) walk(join(ROOT, d));
  for (const f of files.map((x) => relative(ROOT, x)).sort()) h.update(f).update('\0').update(readFileSync(join(ROOT, f))).update('\0');
  cached = `src-${h.digest('hex').slice(0, 16)}`;
  return cached;
}
