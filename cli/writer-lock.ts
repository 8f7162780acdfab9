import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './output.ts';

/**
 * One live writer per embedded log: two `start`s on the same directory would both append the same
 * seeded market and duplicate it. The lock is a file created exclusively with the owner's pid; a
 * lock whose process is gone (kill -9) is stale and taken over.
 */
export function acquireWriterLock(logDir: string): () => void {
  mkdirSync(logDir, { recursive: true });
  const path = join(logDir, 'writer.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new UsageError(`${logDir} is being written by process ${pid} (tickflow start); stop it first, or use another --log`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new UsageError(`could not take the writer lock ${path}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
