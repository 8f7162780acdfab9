import { acquireWriterLock as acquire, LogLockedError } from '../storage/log/writer-lock.ts';
import { UsageError } from './output.ts';

/**
 * Takes the embedded log's writer lock for a command that appends (storage/log/writer-lock.ts);
 * a lock held by a live process is a usage error (exit 2) that names it.
 */
export function acquireWriterLock(logDir: string, command: string): () => void {
  try {
    return acquire(logDir, command);
  } catch (e) {
    if (e instanceof LogLockedError) throw new UsageError(e.message);
    throw e;
  }
}
