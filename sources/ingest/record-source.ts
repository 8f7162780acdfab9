import { openSync, readSync, closeSync } from 'node:fs';
import { openParquetChunks } from './parquet-chunks.ts';
import { DEFAULT_MAX_LINE_BYTES, csvLines, emptyFile, fileSize, headerTooLong } from './csv-lines.ts';

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

/** Key of the record a CSV line longer than the limit becomes (its cells unread): the parser rejects it `line-too-long`. */
export const LINE_TOO_LONG = '\u0000line-too-long';

/** Parquet: decoded in a worker thread ended after `parquetStallMs` without progress (parquet-chunks.ts). */
export async function openRecordSource(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES, parquetStallMs?: number): Promise<RecordSource> {
  return isParquet(path) ? parquetSource(path, parquetStallMs) : csvSource(path, maxLineBytes);
}

function csvSource(path: string, maxLineBytes: number): RecordSource {
  const total = fileSize(path);
  let done = 0;
  async function* records(): AsyncGenerator<Record<string, unknown>> {
    let header: string[] | null = null;
    for await (const line of csvLines(path, maxLineBytes)) {
      done = line.bytesRead;
      if (header === null) {
        if (line.tooLong) throw headerTooLong(path, maxLineBytes);
        header = line.cells.map((h) => h.toLowerCase());
        continue;
      }
      if (line.tooLong) {
        yield { [LINE_TOO_LONG]: true };
        continue;
      }
      const rec: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) rec[header[i]!] = line.cells[i];
      yield rec;
    }
    if (header === null) throw emptyFile(path);
  }
  return { records: records(), progress: () => ({ done, total }) };
}

async function parquetSource(path: string, stallMs: number | undefined): Promise<RecordSource> {
  const parquet = await openParquetChunks(path, PARQUET_CHUNK_ROWS, stallMs);
  const keys = parquet.columns.map((k) => k.toLowerCase());
  const total = parquet.total;
  let done = 0;
  async function* records(): AsyncGenerator<Record<string, unknown>> {
    for await (const w of parquet.windows) {
      for (let i = 0; i < w.count; i++) {
        const rec: Record<string, unknown> = {};
        for (let c = 0; c < keys.length; c++) rec[keys[c]!] = w.columns[c]![i];
        done++;
        yield rec;
      }
    }
  }
  return { records: records(), progress: () => ({ done, total }) };
}
