import { openSync, readSync, closeSync } from 'node:fs';
import { IngestInputError } from './ingest-error.ts';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
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

/**
 * A Parquet file that cannot be read (truncated, corrupt, not Parquet after its magic) is one line
 * naming the file and what the reader said, never a library stack.
 */
export function parquetError(path: string, e: unknown): IngestInputError {
  const said = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
  return new IngestInputError(`${path}: not a readable Parquet file (${said})`, { cause: e });
}

/** Runs a Parquet read, turning its failure into parquetError. */
export async function readingParquet<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw parquetError(path, e);
  }
}

export async function openRecordSource(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<RecordSource> {
  return isParquet(path) ? parquetSource(path) : csvSource(path, maxLineBytes);
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

async function parquetSource(path: string): Promise<RecordSource> {
  const file = await readingParquet(path, () => asyncBufferFromFile(path));
  const metadata = await readingParquet(path, () => parquetMetadataAsync(file));
  const total = Number(metadata.num_rows);
  let done = 0;
  async function* records(): AsyncGenerator<Record<string, unknown>> {
    let groupStart = 0;
    for (const rg of metadata.row_groups) {
      const groupEnd = groupStart + Number(rg.num_rows);
      for (let s = groupStart; s < groupEnd; s += PARQUET_CHUNK_ROWS) {
        const rows = await readingParquet(path, () => parquetReadObjects({ file, metadata, rowStart: s, rowEnd: Math.min(s + PARQUET_CHUNK_ROWS, groupEnd) }));
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
