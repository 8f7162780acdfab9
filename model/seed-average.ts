import { CLASSES } from '../processors/types.ts';
import type { RowModel, WindowStream } from './family.ts';

/** Directory of seed member i inside a seed-averaged model directory. */
export const seedDir = (i: number): string => `seed-${i}`;

/**
 * The average of N fitted members' class probabilities (one family, N training seeds). Averaging
 * probabilities is itself a model (a bagged ensemble): it is saved member by member and loaded
 * through the same contract as any family, and scores in float64 with a fixed order (members
 * summed in seed order, then divided by N), so live and replay agree bit for bit.
 */
export class SeedAverage implements RowModel {
  readonly inputDim: number;
  readonly window: number;
  private readonly out: Float64Array;

  constructor(readonly members: readonly RowModel[]) {
    if (members.length === 0) throw new Error('a seed average needs at least one member');
    this.inputDim = (members[0] as RowModel).inputDim;
    this.window = (members[0] as RowModel).window ?? 1;
    for (const m of members) if (m.inputDim !== this.inputDim) throw new Error(`seed members take ${m.inputDim} and ${this.inputDim} features`);
    this.out = new Float64Array(CLASSES.length);
  }

  score(row: ArrayLike<number>): Float64Array {
    const o = this.out;
    o.fill(0);
    for (const m of this.members) {
      const p = m.score(row);
      for (let k = 0; k < o.length; k++) o[k] = (o[k] as number) + (p[k] as number);
    }
    for (let k = 0; k < o.length; k++) o[k] = (o[k] as number) / this.members.length;
    return o;
  }

  /** Sequence members: one stream per member, averaged in the same order as score(). */
  get stream(): (() => WindowStream) | undefined {
    if (!this.members.every((m) => m.stream !== undefined)) return undefined;
    return () => {
      const streams = this.members.map((m) => (m.stream as () => WindowStream).call(m));
      const o = new Float64Array(CLASSES.length);
      return {
        push: (row) => streams.map((s) => s.push(row)).every(Boolean),
        score: () => {
          o.fill(0);
          for (const s of streams) {
            const p = s.score();
            for (let k = 0; k < o.length; k++) o[k] = (o[k] as number) + (p[k] as number);
          }
          for (let k = 0; k < o.length; k++) o[k] = (o[k] as number) / streams.length;
          return o;
        },
      };
    };
  }
}

/** The bytes a seed-averaged model's id hashes: the members' parameter bytes in seed order. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface Spread {
  mean: number;
  sd: number;
  min: number;
  max: number;
}

/** Mean, sample standard deviation (n - 1; 0 for one value), min and max, summed in the given order. */
export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const ss = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: Math.min(...values), max: Math.max(...values) };
}
