import { createLogger, type Logger } from '../../lib/log.ts';

/** One structured log record as lib/log.ts writes it (a JSON line). */
export interface LogRecord {
  level: number;
  msg: string;
  component?: string;
  event?: string;
  [field: string]: unknown;
}

/** A logger that keeps its records in memory, for in-process tests. */
export function recordingLogger(): { logger: Logger; records: LogRecord[]; messages: () => string[] } {
  const records: LogRecord[] = [];
  const logger = createLogger({ format: 'json', level: 'debug', stream: { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) } });
  return { logger, records, messages: () => records.map((r) => r.msg) };
}

/**
 * The JSON log records in a spawned CLI's stderr (JSON lines when stderr is not a terminal);
 * lines that are not records (the one-line failure, stray output) are skipped.
 */
export function logRecords(stderr: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const r = JSON.parse(line) as LogRecord;
      if (typeof r.level === 'number' && typeof r.msg === 'string') out.push(r);
    } catch {
      // a partial line of a process still writing: skipped
    }
  }
  return out;
}
