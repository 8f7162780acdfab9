import type { EventLog } from '../../storage/log/event-log.ts';

export interface ExistingIdentities {
  ids: Set<string>;
  /** Largest tsEvent already in the log per key (symbol / underlying). */
  lastTs: Map<string, number>;
}

/**
 * Reads and decodes every record of a topic to collect the identities already stored, so an
 * importer can skip them (the log is append-only: idempotency is checked before appending).
 * Memory grows with the topic, not with the file being imported.
 */
export async function existingIdentities<T>(
  log: EventLog,
  topic: string,
  decode: (topic: string, bytes: Uint8Array) => unknown,
  identity: (value: T) => { id: string; key: string; ts: number },
  /** Records later than this (written before plausibility bounds existed) do not raise a key's lastTs. */
  latestPlausible = Number.POSITIVE_INFINITY,
): Promise<ExistingIdentities> {
  const ids = new Set<string>();
  const lastTs = new Map<string, number>();
  const topics = await log.topics();
  if (!topics.includes(topic)) return { ids, lastTs };
  const parts = await log.partitions(topic);
  for (let p = 0; p < parts; p++) {
    for await (const batch of log.read(topic, p)) {
      for (const r of batch) {
        const { id, key, ts } = identity(decode(topic, r.value) as T);
        ids.add(id);
        if (ts <= latestPlausible && ts > (lastTs.get(key) ?? Number.NEGATIVE_INFINITY)) lastTs.set(key, ts);
      }
    }
  }
  return { ids, lastTs };
}
