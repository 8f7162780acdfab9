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

export function fileSize(path: string): number {
  return statSync(path).size;
}

export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((c) => c.trim());
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
