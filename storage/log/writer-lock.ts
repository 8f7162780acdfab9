import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process holds the log's writer lock. */
export class LogLockedError extends Error {
  readonly retriable = false;
  constructor(
    readonly dir: string,
    readonly pid: number,
    readonly holder: string,
  ) {
    super(`${dir} is being written by process ${pid} (tickflow ${holder || 'start'}); stop it first, or use another --log`);
    this.name = 'LogLockedError';
  }
}

/**
 * One writer per embedded log, for every command that appends (`start`, `ingest`, `generate`,
 * `mirror --to <dir>`): two writers on the same directory would both append the same records and
 * duplicate them. The lock is a file created exclusively with the owner's pid and command; a
 * lock whose process is gone (kill -9) is stale and taken over. Returns the release function.
 */
export function acquireWriterLock(logDir: string, command: string): () => void {
  mkdirSync(logDir, { recursive: true });
  const path = join(logDir, 'writer.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n${command}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText = '', holder = ''] = readFileSync(path, 'utf8').split('\n');
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new LogLockedError(logDir, pid, holder.trim());
      rmSync(path, { force: true }); // stale: its process is gone (or the file was never written)
    }
  }
  throw new Error(`could not take the writer lock ${path}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
