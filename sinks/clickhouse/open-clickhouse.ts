import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

export const DEFAULT_CLICKHOUSE_URL = 'http://localhost:8123';

/**
 * A client for tickflow's use: the client's own error log is off because every caller handles
 * (retries, reports or rethrows) the errors it gets, and an outage would otherwise flood stderr.
 */
export function openClickHouse(url: string = DEFAULT_CLICKHOUSE_URL, options: { requestTimeoutMs?: number } = {}): ClickHouseClient {
  return createClient({
    url,
    request_timeout: options.requestTimeoutMs ?? 30_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
}
