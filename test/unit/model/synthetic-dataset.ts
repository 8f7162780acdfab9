import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../processors/math/rng.ts';
import { CLASSES } from '../../../processors/types.ts';

export interface SyntheticOptions {
  bars: number;
  symbols?: string[];
  dim?: number;
  seed?: number;
  /** 'linear': label = sign band of w·x + noise; 'random': labels independent of the features. */
  kind: 'linear' | 'random';
  /** First line `# ...` when given. */
  meta?: string;
  barIntervalMs?: number;
}

export const T0 = Date.UTC(2024, 0, 2, 14, 30);

const created: string[] = [];
process.on('exit', () => created.forEach((d) => rmSync(d, { recursive: true, force: true })));
function makeTemp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * Writes a dataset CSV in the `replay dataset` layout: symbol,barEnd,f0..f{d-1},fwdReturn,label,
 * sorted by (barEnd, symbol). Linear kind: s = sum_j w_j x_j + 0.5 * noise, with w_j = (j+1)/d
 * alternating in sign; UP if s > 0.4, DOWN if s < -0.4, FLAT otherwise (FLAT about 19 %, s has std 1.67).
 */
export function writeSyntheticDataset(opts: SyntheticOptions): string {
  const rng = new Rng(opts.seed ?? 7);
  const symbols = opts.symbols ?? ['AAA', 'BBB'];
  const dim = opts.dim ?? 6;
  const step = opts.barIntervalMs ?? 300_000;
  const names = Array.from({ length: dim }, (_, j) => `f${j}`);
  const lines: string[] = [];
  if (opts.meta !== undefined) lines.push(opts.meta);
  lines.push(['symbol', 'barEnd', ...names, 'fwdReturn', 'label'].join(','));
  for (let b = 0; b < opts.bars; b++) {
    for (const symbol of symbols) {
      const x = Array.from({ length: dim }, () => rng.normal());
      let s = 0.5 * rng.normal();
      x.forEach((v, j) => (s += (j % 2 === 0 ? 1 : -1) * ((j + 1) / dim) * v));
      if (opts.kind === 'random') s = rng.normal();
      const label = s > 0.4 ? 0 : s < -0.4 ? 2 : 1;
      lines.push([symbol, T0 + b * step, ...x.map((v) => v.toFixed(6)), (s / 100).toFixed(6), CLASSES[label]].join(','));
    }
  }
  const dir = makeTemp('tickflow-model-');
  const path = join(dir, 'dataset.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export function tempDir(): string {
  return makeTemp('tickflow-model-out-');
}
