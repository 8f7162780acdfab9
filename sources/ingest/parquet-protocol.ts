// Messages between the Parquet decoding worker (parquet-worker.ts) and ingest (parquet-chunks.ts).

/** What the worker is started with (workerData). */
export interface ParquetWorkerData {
  path: string;
  /** Rows decoded at a time (a window never spans two row groups). */
  chunkRows: number;
  /** Int32Array(1) on a SharedArrayBuffer: the worker adds 1 for every file read, data page and column chunk it finishes. */
  progress: SharedArrayBuffer;
}

/** To the worker: it may decode `n` more windows. */
export interface ParquetCredit {
  t: 'more';
  n: number;
}

export type FromParquetWorker =
  /** The file's row count and top-level column names, in the file's order. */
  | { t: 'meta'; total: number; columns: string[] }
  /** One window of rows, column by column (`columns[c][i]` is row `start + i`'s cell of column c). */
  | { t: 'rows'; start: number; count: number; columns: ArrayLike<unknown>[] }
  | { t: 'end' }
  /** hyparquet (or the file system) refused the file: its message. */
  | { t: 'error'; message: string };
