import { IngestInputError } from './ingest-error.ts';

/** Header names lower-cased and trimmed, to their index. */
export function headerIndex(header: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  header.forEach((h, i) => {
    const k = h.trim().toLowerCase();
    if (!m.has(k)) m.set(k, i);
  });
  return m;
}

/** The first of `names` present in the header (names lower-case), or undefined. */
export function findColumn(index: ReadonlyMap<string, number>, names: readonly string[]): number | undefined {
  for (const n of names) {
    const i = index.get(n);
    if (i !== undefined) return i;
  }
  return undefined;
}

export function requireColumn(index: ReadonlyMap<string, number>, names: readonly string[], what: string): number {
  const i = findColumn(index, names);
  if (i === undefined) throw new IngestInputError(`no ${what} column: expected one of ${names.join(', ')} (case-insensitive); found ${[...index.keys()].join(', ')}`);
  return i;
}
