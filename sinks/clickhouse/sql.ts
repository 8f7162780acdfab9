/**
 * SQL text helpers. ClickHouse 18.16 has no server-side query parameters ({name:Type} came in
 * 19.x), so the few values that go into queries are quoted here, and identifiers are whitelisted.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A database or table name; anything but [A-Za-z_][A-Za-z0-9_]* is refused (not escaped). */
export function identifier(name: string): string {
  if (!isIdentifier(name)) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

export function qualified(database: string, table: string): string {
  return `${identifier(database)}.${identifier(table)}`;
}

/** A ClickHouse string literal: backslash and single quote escaped. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An integer literal; refuses anything that is not a safe integer. */
export function sqlInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not a safe integer: ${value}`);
  return String(value);
}
