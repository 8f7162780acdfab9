// Parquet decoding for ingest in a worker thread, under a progress watchdog (decisions.md D133).
// hyparquet has looped for ever on corrupt pages twice (D115 patched those loops); a loop nobody has
// found yet would hang `ingest` at flat memory. A hang cannot be caught on the thread that hangs,
// so the decoder runs in its own thread (parquet-worker.ts) and counts what it finishes (file
// reads, data pages, column chunks) on a shared counter. While ingest waits for a window of rows,
// it looks at the counter; no change for `stallMs` (once the thread has started) ends the thread
// and fails the import with one line naming the file.
import { Worker } from 'node:worker_threads';
import { IngestInputError } from './ingest-error.ts';
import type { FromParquetWorker, ParquetCredit, ParquetWorkerData } from './parquet-protocol.ts';
import { workerFlags } from '../../lib/worker-flags.ts';

/** Default of `--parquet-stall-timeout`: no decoding progress (not one page) for this long ends the import. */
export const DEFAULT_PARQUET_STALL_MS = 60_000;

/** Windows decoded ahead of the one ingest is working on (memory: this many windows more). */
const AHEAD = 1;

/** The worker's entry; tests replace it with a decoder that never returns (test/fixtures/ingest/). */
export const parquetDecoding = { workerUrl: new URL('./parquet-worker-boot.mjs', import.meta.url) };

export interface ParquetWindow {
  /** Row number (0-based) of the window's first row in the file. */
  start: number;
  count: number;
  /** `columns[c][i]`: row start + i, column c (in `ParquetChunks.columns` order). */
  columns: ArrayLike<unknown>[];
}

export interface ParquetChunks {
  total: number;
  /** Top-level column names in the file's order (the keys hyparquet's row objects have). */
  columns: string[];
  /** The rows, a window at a time; ending the iteration early ends the worker. */
  windows: AsyncIterable<ParquetWindow>;
}

/**
 * A Parquet file that cannot be read (truncated, corrupt, not Parquet after its magic) is one line
 * naming the file and what the reader said, never a library stack.
 */
export function parquetError(path: string, e: unknown): IngestInputError {
  const said = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
  return new IngestInputError(`${path}: not a readable Parquet file (${said})`, { cause: e });
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Opens `path` in a decoding worker and reads its footer (under the watchdog too). */
export async function openParquetChunks(path: string, chunkRows: number, stallMs = DEFAULT_PARQUET_STALL_MS): Promise<ParquetChunks> {
  const progress = new SharedArrayBuffer(4);
  const counter = new Int32Array(progress);
  const worker = new Worker(parquetDecoding.workerUrl, { execArgv: workerFlags(), workerData: { path, chunkRows, progress } satisfies ParquetWorkerData });
  const queue: FromParquetWorker[] = [];
  let failure: IngestInputError | null = null;
  let waiter: { resolve: (m: FromParquetWorker) => void; reject: (e: Error) => void } | null = null;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    void worker.terminate();
  };
  const fail = (e: IngestInputError): void => {
    failure ??= e;
    close();
    const w = waiter;
    waiter = null;
    w?.reject(failure);
  };
  // In order: a window decoded before the decoder's error is still imported, as on one thread.
  worker.on('message', (m: FromParquetWorker) => {
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w.resolve(m);
    } else queue.push(m);
  });
  worker.on('error', (e) => fail(parquetError(path, e)));
  worker.on('exit', (code) => {
    if (!closed) fail(parquetError(path, new Error(`the decoding thread exited with code ${code}`)));
  });
  // Idle (waiting for credit, or never iterated), the thread must not keep the process alive.
  worker.unref();

  /** The worker's next message; its counter unchanged for stallMs meanwhile ends it. */
  const receive = (): Promise<FromParquetWorker> => {
    if (failure !== null) return Promise.reject(failure);
    const m = queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    worker.ref();
    let seen = Atomics.load(counter, 0);
    let since = performance.now();
    let timer: NodeJS.Timeout | undefined;
    return new Promise<FromParquetWorker>((resolve, reject) => {
      waiter = { resolve, reject };
      timer = setInterval(() => {
        const now = Atomics.load(counter, 0);
        // 0: the thread is still starting (loading its modules), not decoding yet.
        if (now !== seen || now === 0) {
          seen = now;
          since = performance.now();
        } else if (performance.now() - since >= stallMs) {
          fail(new IngestInputError(`${path}: not a readable Parquet file (decoding made no progress for ${seconds(stallMs)}, not one page; stopped by --parquet-stall-timeout)`));
        }
      }, Math.max(10, Math.min(1000, stallMs / 4)));
    }).finally(() => {
      clearInterval(timer);
      worker.unref();
    });
  };

  const first = await receive().catch((e: unknown) => {
    close();
    throw e;
  });
  if (first.t !== 'meta') {
    close();
    throw parquetError(path, new Error(first.t === 'error' ? first.message : `unexpected ${first.t} from the decoding thread`));
  }
  const credit = (n: number): void => worker.postMessage({ t: 'more', n } satisfies ParquetCredit);

  async function* windows(): AsyncGenerator<ParquetWindow> {
    try {
      credit(1 + AHEAD);
      for (;;) {
        const m = await receive();
        if (m.t === 'end') return;
        if (m.t === 'error') throw parquetError(path, new Error(m.message));
        if (m.t !== 'rows') throw parquetError(path, new Error(`unexpected ${m.t} from the decoding thread`));
        credit(1);
        yield { start: m.start, count: m.count, columns: m.columns };
      }
    } finally {
      close();
    }
  }
  return { total: first.total, columns: first.columns, windows: windows() };
}
