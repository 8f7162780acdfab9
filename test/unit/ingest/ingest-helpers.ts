import { join } from 'node:path';
import { openLog, type LogAccess } from '../../../cli/log-access.ts';
import { tempDir } from '../../helpers/cli.ts';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'ingest');

/** Every record of a topic, decoded, in partition then offset order. */
export async function readTopic<T>(access: LogAccess, topic: string): Promise<T[]> {
  const out: T[] = [];
  if (!(await access.log.topics()).includes(topic)) return out;
  const parts = await access.log.partitions(topic);
  for (let p = 0; p < parts; p++) for await (const batch of access.log.read(topic, p)) for (const r of batch) out.push(access.decode(topic, r.value) as T);
  return out;
}

export async function withLog<R>(fn: (access: LogAccess) => Promise<R>): Promise<R> {
  const tmp = tempDir('tickflow-ingest-');
  const access = await openLog(join(tmp.dir, 'log'));
  try {
    return await fn(access);
  } finally {
    await access.close();
    tmp.cleanup();
  }
}
