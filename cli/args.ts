import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isIdentifier } from '../sinks/clickhouse/sql.ts';
import { UsageError } from './output.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `--flag value` options strictly; unknown flags are a UsageError naming them. */
export function parse<O extends Options>(argv: string[], options: O): ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function requireString(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing required option --${flag}`);
  return value;
}

/** A --database value: a plain SQL identifier (ClickHouse 18.16 takes no query parameters). */
export function databaseName(value: string, flag = 'database'): string {
  if (!isIdentifier(value)) throw new UsageError(`--${flag} must be a plain identifier, got ${JSON.stringify(value)}`);
  return value;
}

export function toNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

const DURATION_UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "2d", "90m", "1.5h", "500ms" -> milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag} must be a duration like 90m, 6h or 2d, got ${JSON.stringify(value)}`);
  return Number(m[1]) * (DURATION_UNIT[m[2] as string] as number);
}
