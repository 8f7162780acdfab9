/**
 * Shape checks for restore(state: unknown). A snapshot that does not match is a corrupted or
 * foreign checkpoint, i.e. a programmer/operator error: these throw TypeError instead of letting
 * NaN or undefined leak into an indicator.
 */
export type StateRecord = Record<string, unknown>;

export function asRecord(x: unknown, what: string): StateRecord {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new TypeError(`${what}: expected an object`);
  return x as StateRecord;
}

export function finiteNumber(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`${what}: expected a finite number`);
  return x;
}

export function nullableFinite(x: unknown, what: string): number | null {
  return x === null ? null : finiteNumber(x, what);
}

export function count(x: unknown, what: string): number {
  const n = finiteNumber(x, what);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`${what}: expected a non-negative integer`);
  return n;
}

export function finiteArray(x: unknown, what: string): number[] {
  if (!Array.isArray(x)) throw new TypeError(`${what}: expected an array`);
  return x.map((v, i) => finiteNumber(v, `${what}[${i}]`));
}

export function nullableFiniteArray(x: unknown, what: string): (number | null)[] {
  if (!Array.isArray(x)) throw new TypeError(`${what}: expected an array`);
  return x.map((v, i) => nullableFinite(v, `${what}[${i}]`));
}

/** Indicator periods: positive integers, checked once in constructors. */
export function assertPeriod(n: number, what = 'period'): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
}

/** The single exit for numeric results: non-finite becomes null so NaN/Infinity never escape. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
