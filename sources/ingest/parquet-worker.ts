// The Parquet decoding thread of ingest (parquet-chunks.ts, decisions.md D133): reads the file's
// footer, then decodes windows of rows with hyparquet as the ingest thread gives credit, and
// posts them column by column. Every file read, data page and column chunk it finishes is counted
// on a shared counter the ingest thread watches; a decoder that stops counting is ended there.
import { parentPort, workerData } from 'node:worker_threads';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { FromParquetWorker, ParquetCredit, ParquetWorkerData } from './parquet-protocol.ts';

/** One window's cells per column, exactly rows [start, end). */
export async function decodeWindow(file: AsyncBuffer, metadata: FileMetaData, names: string[], start: number, end: number, tick: () => void): Promise<ArrayLike<unknown>[]> {
  const parts = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>(names.map((n) => [n, []]));
  await parquetRead({
    file, metadata, rowStart: start, rowEnd: end,
    onPage: tick,
    onChunk: (c) => {
      tick();
      parts.get(c.columnName)?.push({ rowStart: c.rowStart, data: c.columnData as ArrayLike<unknown> });
    },
  });
  const count = end - start;
  return names.map((name) => {
    const chunks = parts.get(name)!;
    const first = chunks[0]?.data;
    // Typed arrays stay typed (copied in one move to the ingest thread); anything else is an Array.
    const out: { [i: number]: unknown; length: number } = ArrayBuffer.isView(first) ? new (first.constructor as new (n: number) => { [i: number]: unknown; length: number })(count) : new Array<unknown>(count);
    for (const { rowStart, data } of chunks) {
      const from = Math.max(start, rowStart);
      const to = Math.min(end, rowStart + data.length);
      for (let r = from; r < to; r++) out[r - start] = data[r - rowStart];
    }
    return out;
  });
}

/** The windows of rows: PARQUET_CHUNK_ROWS at a time within each row group. */
function* windows(metadata: FileMetaData, chunkRows: number): Generator<[number, number]> {
  let groupStart = 0;
  for (const rg of metadata.row_groups) {
    const groupEnd = groupStart + Number(rg.num_rows);
    for (let s = groupStart; s < groupEnd; s += chunkRows) yield [s, Math.min(s + chunkRows, groupEnd)];
    groupStart = groupEnd;
  }
}

export type WindowDecoder = typeof decodeWindow;

/** Runs the worker's side of the protocol; `decode` is replaceable for tests (a decoder that never returns). */
export async function serveParquet(decode: WindowDecoder = decodeWindow): Promise<void> {
  const port = parentPort!;
  const { path, chunkRows, progress } = workerData as ParquetWorkerData;
  const counter = new Int32Array(progress);
  const tick = (): void => void Atomics.add(counter, 0, 1);
  const post = (m: FromParquetWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  let credits = 0;
  let wake: (() => void) | null = null;
  port.on('message', (m: ParquetCredit) => {
    credits += m.n;
    wake?.();
  });
  // The first count says the thread has started: its start (loading modules, slow on a loaded
  // machine) is not decoding, and the watchdog waits for it.
  tick();
  try {
    const raw = await asyncBufferFromFile(path);
    const file: AsyncBuffer = {
      byteLength: raw.byteLength,
      slice: async (a, b) => {
        const got = await raw.slice(a, b);
        tick();
        return got;
      },
    };
    const metadata = await parquetMetadataAsync(file);
    tick();
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    post({ t: 'meta', total: Number(metadata.num_rows), columns: names });
    for (const [start, end] of windows(metadata, chunkRows)) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits--;
      const columns = await decode(file, metadata, names, start, end, tick);
      tick();
      // Typed arrays decoded for this window alone are moved, not copied.
      const transfer = columns.flatMap((c) => (ArrayBuffer.isView(c) && c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.buffer instanceof ArrayBuffer ? [c.buffer] : []));
      post({ t: 'rows', start, count: end - start, columns }, transfer);
    }
    post({ t: 'end' });
  } catch (e) {
    post({ t: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}
