import type { Rng } from '../processors/math/rng.ts';

/**
 * Random oversampling (as imbalanced-learn's RandomOverSampler does): every class present in
 * `rows` gets copies of its own rows, drawn with replacement, until it has as many rows as the
 * largest class. Returns the given rows followed by the drawn copies (row indices; a copy is the
 * same index again). Classes absent from `rows` stay absent.
 *
 * Only ever call it on the rows of a training fold, after the split: applied before a split, the
 * copies of one row land on both sides and a flexible model scores its own memory (the
 * demonstration in test/unit/model/oversampling-leak.test.ts and docs/evaluation.md).
 * Deterministic: classes in index order, copies drawn from a seeded generator.
 */
export function randomOverSample(rows: ArrayLike<number>, labels: ArrayLike<number>, rng: Rng, k = 3): Uint32Array {
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    (byClass[labels[r] as number] as number[]).push(r);
  }
  const target = Math.max(...byClass.map((c) => c.length));
  const out: number[] = Array.from(rows);
  for (const members of byClass) {
    if (members.length === 0) continue;
    for (let j = members.length; j < target; j++) out.push(members[Math.floor(rng.next() * members.length)] as number);
  }
  return Uint32Array.from(out);
}
