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
  // Fast path: a plain number (Number('') and Number(' ') are 0, so blanks take the slow path).
  const fast = +cell;
  if (fast === fast && cell.length > 0 && cell.charCodeAt(0) > 32) return fast;
  const t = cell.trim();
  if (t === '' || t === '-' || /^(null|none|nan|na)$/i.test(t)) return t.toLowerCase() === 'nan' ? Number.NaN : null;
  return Number(t.replace(/,/g, ''));
}

/** A cell as text: strings as they are, numbers and booleans written out, anything else empty. */
export function cellText(cell: unknown): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  return '';
}
