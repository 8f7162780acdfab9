import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { DEFAULT_MAX_LINE_BYTES, csvLineBatches, fileSize } from './csv-lines.ts';
import { PARQUET_CHUNK_ROWS, isParquet, readingParquet } from './record-source.ts';

/** One row of a table file: its cells in column order, and its line number (the header is line 1). */
export interface TableLine {
  lineNo: number;
  cells: readonly unknown[];
  /** CSV: the line was longer than the limit and skipped unread (cells empty). */
  tooLong?: true;
}

export interface TableSource {
  /** Lines in batches; the first line is the header where the file has one (always for Parquet: its column names). */
  batches: AsyncIterable<TableLine[]>;
  /** Progress in source units (bytes for CSV, rows for Parquet). */
  progress: () => { done: number; total: number };
}

/**
 * A CSV (streamed line by line) or a Parquet file (detected by its `PAR1` magic; read
 * PARQUET_CHUNK_ROWS rows at a time) as rows of cells. A Parquet file's row r is reported as line
 * r + 2, as if its column names were a CSV header on line 1.
 */
export async function openTable(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<TableSource> {
  if (isParquet(path)) return parquetTable(path);
  const total = fileSize(path);
  let done = 0;
  async function* batches(): AsyncGenerator<TableLine[]> {
    for await (const b of csvLineBatches(path, undefined, maxLineBytes)) {
      done = b[b.length - 1]?.bytesRead ?? done;
      yield b;
    }
  }
  return { batches: batches(), progress: () => ({ done, total }) };
}

async function parquetTable(path: string): Promise<TableSource> {
  const file = await readingParquet(path, () => asyncBufferFromFile(path));
  const metadata = await readingParquet(path, () => parquetMetadataAsync(file));
  const total = Number(metadata.num_rows);
  let done = 0;
  async function* batches(): AsyncGenerator<TableLine[]> {
    let header: string[] | null = null;
    for (let s = 0; s < total; s += PARQUET_CHUNK_ROWS) {
      const rows = await readingParquet(path, () => parquetReadObjects({ file, metadata, rowStart: s, rowEnd: Math.min(s + PARQUET_CHUNK_ROWS, total) }));
      const out: TableLine[] = [];
      for (const row of rows) {
        if (header === null) {
          header = Object.keys(row);
          out.push({ lineNo: 1, cells: header });
        }
        done++;
        const keys = header;
        out.push({ lineNo: done + 1, cells: keys.map((k) => row[k]) });
      }
      yield out;
    }
  }
  return { batches: batches(), progress: () => ({ done, total }) };
}
