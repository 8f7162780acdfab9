import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface CsvLine {
  /** 1-based line number in the file. */
  lineNo: number;
  cells: string[];
  /** Bytes of the file read so far (for progress). */
  bytesRead: number;
}

/**
 * Streams a CSV file line by line (readline over a read stream: memory holds one chunk, not the
 * file). Blank lines are skipped. Quoted fields with commas and doubled quotes are handled;
 * a quoted field spanning lines is not (no market-data CSV we know of does that).
 */
export async function* csvLines(path: string): AsyncGenerator<CsvLine> {
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if (line.trim() === '') continue;
      yield { lineNo, cells: splitCsvLine(lineNo === 1 ? line.replace(/^\uFEFF/, '') : line), bytesRead: stream.bytesRead };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

/**
 * The same lines as csvLines, a chunk of the file at a time (one array per 256 KiB read): the
 * caller's loop runs synchronously over a batch, with one await per chunk instead of per line.
 * Line numbers, BOM, CRLF and blank lines are handled as in csvLines.
 */
export async function* csvLineBatches(path: string, chunkBytes = 1 << 18): AsyncGenerator<CsvLine[]> {
  const stream = createReadStream(path, { highWaterMark: chunkBytes, encoding: 'utf8' });
  let rest = '';
  let lineNo = 0;
  let bytes = 0;
  const emit = (text: string, out: CsvLine[]): void => {
    lineNo++;
    let line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === '') return;
    out.push({ lineNo, cells: splitCsvLine(line), bytesRead: bytes });
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      bytes = stream.bytesRead;
      const text = rest + chunk;
      const out: CsvLine[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        emit(text.slice(start, nl), out);
        start = nl + 1;
      }
      rest = text.slice(start);
      if (out.length > 0) yield out;
    }
    if (rest !== '') {
      const out: CsvLine[] = [];
      emit(rest, out);
      if (out.length > 0) yield out;
    }
  } finally {
    stream.destroy();
  }
}

export function fileSize(path: string): number {
  return statSync(path).size;
}

export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) {
    const cells = line.split(',');
    for (let i = 0; i < cells.length; i++) cells[i] = cells[i]!.trim();
    return cells;
  }
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}
