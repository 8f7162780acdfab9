import { openSync, readSync, closeSync } from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { csvLines, fileSize } from './csv-lines.ts';

/** Rows as objects keyed by lower-cased column name, from a CSV with a header or a Parquet file. */
export interface RecordSource {
  records: AsyncIterable<Record<string, unknown>>;
  /** Progress in source units (bytes for CSV, rows for Parquet). */
  progress: () => { done: number; total: number };
}

/** Rows decoded at a time from a Parquet row group: memory is bounded by this, not the file. */
export const PARQUET_CHUNK_ROWS = 50_000;

export function isParquet(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString('latin1') === 'PAR1';
  } finally {
    closeSync(fd);
  }
}

export async function openRecordSource(path: string): Promise<RecordSource> {
  return isParquet(path) ? parquetSource(path) : csvSource(path);
}

function csvSource(path: string): RecordSource {
  const total = fileSize(path);
  let done = 0;
  async function* records(): AsyncGenerator<Record<string, unknown>> {
    let header: string[] | null = null;
    for await (const line of csvLines(path)) {
      done = line.bytesRead;
      if (header === null) {
        header = line.cells.map((h) => h.toLowerCase());
        continue;
      }
      const rec: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) rec[header[i]!] = line.cells[i];
      yield rec;
    }
  }
  return { records: records(), progress: () => ({ done, total }) };
}

async function parquetSource(path: string): Promise<RecordSource> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const total = Number(metadata.num_rows);
  let done = 0;
  async function* records(): AsyncGenerator<Record<string, unknown>> {
    let groupStart = 0;
    for (const rg of metadata.row_groups) {
      const groupEnd = groupStart + Number(rg.num_rows);
      for (let s = groupStart; s < groupEnd; s += PARQUET_CHUNK_ROWS) {
        const rows = await parquetReadObjects({ file, metadata, rowStart: s, rowEnd: Math.min(s + PARQUET_CHUNK_ROWS, groupEnd) });
        for (const row of rows) {
          const rec: Record<string, unknown> = {};
          for (const k of Object.keys(row)) rec[k.toLowerCase()] = row[k];
          done++;
          yield rec;
        }
      }
      groupStart = groupEnd;
    }
  }
  return { records: records(), progress: () => ({ done, total }) };
}
