import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { ByteWriter, compileType, type Row } from './row-binary.ts';
import { qualified } from './sql.ts';
import { TABLE_COLUMNS, type TableName } from './tables.ts';

export type RowEncoder = (row: Row) => Buffer;

/** Encodes one row of `table` to RowBinary; throws TypeError on a value its column cannot hold. */
export function rowEncoder(table: TableName): RowEncoder {
  const encoders = TABLE_COLUMNS[table].map((c) => ({ name: c.name, encode: compileType(c.type) }));
  return (row) => {
    const w = new ByteWriter(256);
    for (const { name, encode } of encoders) encode(w, row[name]);
    return Buffer.from(w.result());
  };
}

/** INSERT of already-encoded rows, one request (one block, so all or nothing on 18.16+). */
export async function insertEncoded(
  client: ClickHouseClient,
  database: string,
  table: TableName,
  rows: readonly Uint8Array[],
  signal?: AbortSignal,
): Promise<void> {
  if (rows.length === 0) return;
  const columns = TABLE_COLUMNS[table].map((c) => c.name).join(', ');
  const result = await client.exec({
    query: `INSERT INTO ${qualified(database, table)} (${columns}) FORMAT RowBinary`,
    values: Readable.from([Buffer.concat(rows)]),
    ...(signal ? { abort_signal: signal } : {}),
  });
  result.stream.resume();
  await new Promise<void>((resolve, reject) => {
    result.stream.once('end', resolve).once('close', resolve).once('error', reject);
  });
}

export async function insertRows(client: ClickHouseClient, database: string, table: TableName, rows: readonly Row[], signal?: AbortSignal): Promise<void> {
  const encode = rowEncoder(table);
  await insertEncoded(client, database, table, rows.map(encode), signal);
}
