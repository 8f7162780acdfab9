import { DERIVED_TOPICS } from '../../hosts/log-sink.ts';
import type { EventLog } from '../../storage/log/event-log.ts';

/** Every derived record of a log, topic by topic and partition by partition, as `topic/partition/offset key base64(value)` lines. */
export async function derivedRecords(log: EventLog): Promise<string[]> {
  const out: string[] = [];
  for (const t of DERIVED_TOPICS) {
    for (let p = 0; p < (await log.partitions(t)); p++) {
      for await (const batch of log.read(t, p)) for (const r of batch) out.push(`${t}/${p}/${r.offset} ${r.key} ${Buffer.from(r.value).toString('base64')}`);
    }
  }
  return out;
}
