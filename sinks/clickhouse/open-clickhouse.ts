import { readFileSync } from 'node:fs';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

export const DEFAULT_CLICKHOUSE_URL = 'http://localhost:8123';

/** Where the ClickHouse password may come from instead of the command line. */
export interface CredentialSources {
  /** The environment (default process.env): CLICKHOUSE_PASSWORD, or CLICKHOUSE_PASSWORD_FILE naming a file. */
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
}

/**
 * The URL and credentials to connect with: a password in the URL wins; otherwise
 * CLICKHOUSE_PASSWORD, or the first line of the file CLICKHOUSE_PASSWORD_FILE names, so that the
 * password need not be on a command line (where `ps` shows it) at all.
 */
export function clickHouseCredentials(url: string, sources: CredentialSources = {}): { url: string; username?: string; password?: string } {
  const env = sources.env ?? process.env;
  const u = new URL(url);
  if (u.password !== '') return { url };
  const fromFile = env['CLICKHOUSE_PASSWORD_FILE'];
  const password = env['CLICKHOUSE_PASSWORD'] ?? (fromFile ? (sources.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(fromFile).split('\n')[0]!.trim() : undefined);
  if (password === undefined) return { url };
  const username = u.username !== '' ? decodeURIComponent(u.username) : (env['CLICKHOUSE_USER'] ?? 'default');
  u.username = '';
  return { url: u.toString().replace(/\/$/, ''), username, password };
}

/**
 * A client for tickflow's use: the client's own error log is off because every caller handles
 * (retries, reports or rethrows) the errors it gets, and an outage would otherwise flood stderr.
 */
export function openClickHouse(url: string = DEFAULT_CLICKHOUSE_URL, options: { requestTimeoutMs?: number } = {}): ClickHouseClient {
  const c = clickHouseCredentials(url);
  return createClient({
    url: c.url,
    ...(c.password !== undefined ? { username: c.username ?? 'default', password: c.password } : {}),
    request_timeout: options.requestTimeoutMs ?? 30_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
}
