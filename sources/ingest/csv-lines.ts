import { createReadStream, statSync } from 'node:fs';
import { IngestInputError } from './ingest-error.ts';

export interface CsvLine {
  /** 1-based line number in the file. */
  lineNo: number;
  cells: string[];
  /** Bytes of the file read so far (for progress). */
  bytesRead: number;
  /** The line was longer than the limit: skipped unread (cells empty), to be rejected `line-too-long`. */
  tooLong?: true;
}

/** Default `--max-line-bytes`: far above any market-data row (a wide chain row is about 500 bytes). */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/**
 * Streams a CSV file line by line: memory holds one chunk and at most one line of maxLineBytes,
 * never more, whatever the file. A longer line is skipped to its end without being kept and
 * reported with `tooLong` (a 200 MB line of NUL bytes costs no more memory than a short one).
 * Blank lines are skipped; BOM and CRLF handled. Quoted fields with commas and doubled quotes are
 * handled; a quoted field spanning lines is not (no market-data CSV we know of does that).
 */
export async function* csvLines(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<CsvLine> {
  for await (const batch of csvLineBatches(path, 1 << 16, maxLineBytes)) yield* batch;
}

/**
 * The same lines as csvLines, a chunk of the file at a time (one array per chunk read): the
 * caller's loop runs synchronously over a batch, with one await per chunk instead of per line.
 * Lines are split on bytes and decoded whole, so a UTF-8 character split across chunks is intact.
 */
export async function* csvLineBatches(path: string, chunkBytes = 1 << 18, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<CsvLine[]> {
  let out: CsvLine[] = [];
  const visitor: ByteLineVisitor = {
    line(buf, start, end, lineNo, bytesRead) {
      const line = decodeLine(buf, start, end, lineNo);
      if (line !== null) out.push({ lineNo, cells: splitCsvLine(line), bytesRead });
    },
    tooLong(lineNo, bytesRead) {
      out.push({ lineNo, cells: [], bytesRead, tooLong: true });
    },
  };
  const chunks = byteLines(path, visitor, chunkBytes, maxLineBytes);
  try {
    while (!(await chunks.next()).done) {
      if (out.length > 0) {
        yield out;
        out = [];
      }
    }
  } finally {
    // A caller that stops early closes the file too.
    await chunks.return(undefined);
  }
}

/**
 * A CSV line's text as csvLines reads it: decoded from UTF-8, one trailing CR removed, a BOM
 * removed from line 1; null for a blank line (skipped, though it still counts as a line).
 */
export function decodeLine(buf: Buffer, start: number, end: number, lineNo: number): string | null {
  const text = buf.toString('utf8', start, end);
  let line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
  return line.trim() === '' ? null : line;
}

/** What byteLines calls for each line of the file, in order (line numbers from 1). */
export interface ByteLineVisitor {
  /** A line's bytes are buf[start, end) without its LF (valid during the call only). */
  line(buf: Buffer, start: number, end: number, lineNo: number, bytesRead: number): void;
  /** A line longer than maxLineBytes, skipped unread. */
  tooLong(lineNo: number, bytesRead: number): void;
}

const NL = 0x0a;

/**
 * The file's lines as bytes, handed to `visitor` a chunk at a time; yields the bytes read so far
 * after each chunk's lines (so the caller can pass on what it gathered, with one await per chunk).
 * Memory holds one chunk and at most one line of maxLineBytes: a longer line is skipped to its
 * end without being kept (`tooLong`). Every line counts in the numbering, blank ones too.
 */
export async function* byteLines(path: string, visitor: ByteLineVisitor, chunkBytes = 1 << 18, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<number> {
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  let lineNo = 0;
  let bytes = 0;
  /** Pieces of the line begun in earlier chunks (at most maxLineBytes in all). */
  let carry: Buffer[] = [];
  let carryLen = 0;
  /** Inside a line already longer than the limit: bytes are dropped until its end. */
  let skipping = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes = stream.bytesRead;
      let start = 0;
      for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, start)) {
        const len = carryLen + nl - start;
        lineNo++;
        if (skipping || len > maxLineBytes) visitor.tooLong(lineNo, bytes);
        else if (carryLen > 0) {
          const whole = Buffer.concat([...carry, chunk.subarray(start, nl)]);
          visitor.line(whole, 0, whole.length, lineNo, bytes);
        } else visitor.line(chunk, start, nl, lineNo, bytes);
        skipping = false;
        carry = [];
        carryLen = 0;
        start = nl + 1;
      }
      if (!skipping && start < chunk.length) {
        if (carryLen + chunk.length - start > maxLineBytes) {
          skipping = true;
          carry = [];
          carryLen = 0;
        } else {
          // A copy, so that a carried tail does not keep its whole chunk alive.
          carry.push(Buffer.from(chunk.subarray(start)));
          carryLen += chunk.length - start;
        }
      }
      yield bytes;
    }
    if (skipping) visitor.tooLong(++lineNo, bytes);
    else if (carryLen > 0) {
      const whole = Buffer.concat(carry);
      visitor.line(whole, 0, whole.length, ++lineNo, bytes);
    }
    yield bytes;
  } finally {
    stream.destroy();
  }
}

/** The one-line error for a file whose first line (its header) is too long to be one. */
export function headerTooLong(file: string, maxLineBytes: number): IngestInputError {
  return new IngestInputError(`${file}:1: no parseable header: the first line is longer than --max-line-bytes ${maxLineBytes}`);
}

/** The one-line error for a file with no line at all. */
export function emptyFile(file: string): IngestInputError {
  return new IngestInputError(`${file}: no parseable header: the file has no lines`);
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
