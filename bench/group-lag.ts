// The consumer group's total lag over the input topics: high-water mark minus committed offset,
// summed over every partition (a partition with no commit counts from 0). Used by the Kafka benches.
import type { Kafka } from 'kafkajs';
import { INPUT_TOPICS } from '../hosts/merged-reader.ts';

export async function groupLag(admin: ReturnType<Kafka['admin']>, groupId: string): Promise<number> {
  let n = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: [...INPUT_TOPICS] });
  for (const topic of INPUT_TOPICS) {
    for (const e of await admin.fetchTopicOffsets(topic)) {
      const c = Number(committed.find((x) => x.topic === topic)?.partitions.find((x) => x.partition === e.partition)?.offset ?? -1);
      n += Number(e.high) - Math.max(0, c);
    }
  }
  return n;
}
