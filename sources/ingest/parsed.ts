/** What a row parser yields: a value, or the named reason the row was rejected. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function reject(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** A numeric cell: number, or null when empty / 'null' / 'NaN'-free text that is absent. */
export function cellNumber(cell: unknown): number | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell !== 'string') return Number.NaN;
  const t = cell.trim();
  if (t === '' || t === '-' || /^(null|none|nan|na)$/i.test(t)) return t.toLowerCase() === 'nan' ? Number.NaN : null;
  return Number(t.replace(/,/g, ''));
}
