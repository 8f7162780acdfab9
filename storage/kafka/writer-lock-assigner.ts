import kafkajs, { type PartitionAssigner } from 'kafkajs';

/** kafkajs is CommonJS: take the assigner protocol codecs from its default export. */
const { AssignerProtocol } = kafkajs;

export const WRITER_LOCK_ASSIGNER = 'TickflowWriterLock';

/** What a member of the lock group says about itself (its JoinGroup metadata's userData). */
export interface LockClaim {
  /** The member id under which this process was given the lock; null when it never held it. */
  heldAs: string | null;
  pid: number;
  host: string;
  command: string;
}

export function encodeClaim(claim: LockClaim): Buffer {
  return Buffer.from(JSON.stringify(claim));
}

/** A member's claim from its protocol metadata; null for metadata that is not ours. */
export function decodeClaim(memberMetadata: Buffer): LockClaim | null {
  try {
    const { userData } = AssignerProtocol.MemberMetadata.decode(memberMetadata) ?? { userData: Buffer.alloc(0) };
    const c = JSON.parse(userData.toString('utf8')) as Partial<LockClaim>;
    if (typeof c.pid !== 'number' || typeof c.command !== 'string') return null;
    return { heldAs: typeof c.heldAs === 'string' ? c.heldAs : null, pid: c.pid, host: typeof c.host === 'string' ? c.host : '', command: c.command };
  } catch {
    return null;
  }
}

/**
 * Chooses the member that holds the lock, from the members' claims alone:
 * 1. the member whose claim names its current member id: it has been a member without a break
 *    since it was given the lock (kafkajs rejoins a rebalance under the same id), so it keeps it;
 * 2. else a former holder rejoining under a new id (cut off past its session timeout while nobody
 *    else took the lock): given it back; if somebody else had taken it meanwhile, that writer's
 *    transactional producer has fenced this one, whose appends fail (kafka-event-log.ts);
 * 3. else the newcomer with the lowest member id.
 * Exported for its unit test.
 */
export function chooseHolder(members: readonly { memberId: string; claim: LockClaim | null }[]): string | null {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const keeps = sorted.find((m) => m.claim?.heldAs === m.memberId);
  if (keeps) return keeps.memberId;
  const former = sorted.find((m) => m.claim?.heldAs != null);
  if (former) return former.memberId;
  return sorted[0]?.memberId ?? null;
}

/**
 * The lock group's assigner: partition 0 of the lock topic to the holder (chooseHolder), nothing
 * to everybody else. `claim()` is read at every join, so a member's metadata always says whether
 * it holds the lock and under which member id.
 */
export function writerLockAssigner(claim: () => LockClaim): PartitionAssigner {
  return () => ({
    name: WRITER_LOCK_ASSIGNER,
    version: 0,
    async assign({ members, topics }) {
      const holder = chooseHolder(members.map((m) => ({ memberId: m.memberId, claim: decodeClaim(m.memberMetadata) })));
      return members.map(({ memberId }) => {
        const assignment: Record<string, number[]> = {};
        if (memberId === holder) for (const topic of topics) assignment[topic] = [0];
        return { memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) };
      });
    },
    protocol({ topics }) {
      return { name: WRITER_LOCK_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: encodeClaim(claim()) }) };
    },
  });
}
