import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const MATH = join(HERE, '..', '..', 'processors', 'math');

let cached: string | null = null;

/**
 * The code a saved generator state depends on: sha256 over the names and contents of the
 * generator's sources (this directory) and of processors/math (the Rng, Black-Scholes). Any edit
 * there makes older saved states foreign: they are ignored and the market is regenerated from its
 * start, rather than continuing from a state other code computed. Computed once per process.
 */
export function generatorCodeVersion(): string {
  if (cached !== null) return cached;
  const h = createHash('sha256');
  for (const [name, dir] of [['synthetic', HERE], ['math', MATH]] as const) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts')).sort()) h.update(`${name}/${f}`).update('\0').update(readFileSync(join(dir, f))).update('\0');
  }
  cached = `gen-${h.digest('hex').slice(0, 16)}`;
  return cached;
}
