import type { EventLog } from './event-log.ts';

/**
 * Records in a topic: the sum of its partitions' end offsets (offsets start at 0 on both backends
 * and nothing is deleted, decisions D24). One helper for the CLI's progress totals and the live
 * host's resume-by-count.
 */
export async function topicSize(log: EventLog, topic: string): Promise<number> {
  let n = 0;
  const parts = await log.partitions(topic);
  for (let p = 0; p < parts; p++) n += await log.endOffset(topic, p);
  return n;
}
