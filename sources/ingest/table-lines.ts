import { DEFAULT_MAX_LINE_BYTES, csvLineBatches, fileSize } from './csv-lines.ts';
import { openParquetChunks } from './parquet-chunks.ts';
import { PARQUET_CHUNK_ROWS, isParquet } from './record-source.ts';

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
 * A CSV (streamed line by line) or a Parquet file (detected by its `PAR1` magic; decoded
 * PARQUET_CHUNK_ROWS rows at a time in a worker thread ended after `parquetStallMs` without
 * progress, parquet-chunks.ts) as rows of cells. A Parquet file's row r is reported as line r + 2,
 * as if its column names were a CSV header on line 1.
 */
export async function openTable(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES, parquetStallMs?: number): Promise<TableSource> {
  if (isParquet(path)) return parquetTable(path, parquetStallMs);
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

async function parquetTable(path: string, stallMs: number | undefined): Promise<TableSource> {
  const parquet = await openParquetChunks(path, PARQUET_CHUNK_ROWS, stallMs);
  const total = parquet.total;
  const header = parquet.columns;
  let done = 0;
  async function* batches(): AsyncGenerator<TableLine[]> {
    for await (const w of parquet.windows) {
      const out: TableLine[] = [];
      if (done === 0 && w.count > 0) out.push({ lineNo: 1, cells: header });
      const { columns } = w;
      for (let i = 0; i < w.count; i++) {
        done++;
        const cells = new Array<unknown>(columns.length);
        for (let c = 0; c < columns.length; c++) cells[c] = columns[c]![i];
        out.push({ lineNo: done + 1, cells });
      }
      yield out;
    }
  }
  return { batches: batches(), progress: () => ({ done, total }) };
}
