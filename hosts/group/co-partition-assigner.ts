import kafkajs, { type PartitionAssigner } from 'kafkajs';

/** kafkajs is CommonJS: take the assigner protocol codecs from its default export. */
const { AssignerProtocol } = kafkajs;

export const CO_PARTITION_ASSIGNER = 'TickflowCoPartitioned';

/**
 * Assigns partition NUMBERS, not topic-partitions: partition p of every subscribed topic goes to
 * the same member (trades/p, options/p and candles/p hold the same symbols, and one graph
 * instance needs all three). Numbers are dealt round-robin over the members sorted by id, so
 * the assignment is a function of the membership alone.
 */
export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITION_ASSIGNER,
  version: 0,
  async assign({ members, topics }) {
    const sorted = members.map((m) => m.memberId).sort();
    const numbers = new Set<number>();
    const byTopic = new Map<string, number[]>();
    for (const topic of topics) {
      const ids = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId).sort((a, b) => a - b);
      byTopic.set(topic, ids);
      for (const p of ids) numbers.add(p);
    }
    const owner = new Map<number, string>();
    [...numbers].sort((a, b) => a - b).forEach((p, i) => owner.set(p, sorted[i % sorted.length] as string));
    return sorted.map((memberId) => {
      const assignment: Record<string, number[]> = {};
      for (const [topic, ids] of byTopic) {
        const mine = ids.filter((p) => owner.get(p) === memberId);
        if (mine.length > 0) assignment[topic] = mine;
      }
      return { memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) };
    });
  },
  protocol({ topics }) {
    return { name: CO_PARTITION_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
