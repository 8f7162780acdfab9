import { hostname } from 'node:os';
import kafkajs, { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { sleep } from '../../lib/sleep.ts';
import { KafkaLogError } from './kafka-log-error.ts';
import { DEFAULT_BACKOFF, withBackoff } from './with-backoff.ts';
import { decodeClaim, writerLockAssigner, type LockClaim } from './writer-lock-assigner.ts';

const { AssignerProtocol } = kafkajs;

/** The lock's group and transactional id on a cluster (one tickflow log per cluster); its topic is lockTopic(name). */
export const DEFAULT_WRITER_LOCK = 'tickflow-writer';

export interface KafkaWriterLockOptions {
  brokers: string[];
  /** The command taking the lock, shown to a writer it refuses. */
  command: string;
  /** Name of the lock group and its topic, and the writers' transactional id (default DEFAULT_WRITER_LOCK). */
  name?: string;
  /** A killed or frozen holder loses the lock after this long without a heartbeat (default 10 s; brokers allow 6 s and more). */
  sessionTimeoutMs?: number;
  /** Longest wait for the group's answer (default: 3 session timeouts + 30 s). */
  joinTimeoutMs?: number;
  logger?: Logger;
}

/**
 * The lock's topic: internal-looking (`__`), so that the log's topic list (KafkaEventLog.topics,
 * hence `mirror`) leaves it out; nothing is ever written to it.
 */
export function lockTopic(name: string): string {
  return `__${name}-lock`;
}

/** Another process holds the writer lock of the log on Kafka. */
export class KafkaLogLockedError extends KafkaLogError {
  constructor(
    readonly brokers: readonly string[],
    readonly holder: LockClaim | null,
    sessionTimeoutMs: number,
  ) {
    const who = holder === null ? 'another process' : `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ''} (tickflow ${holder.command})`;
    super(`Kafka at ${brokers.join(',')} is being written by ${who}; stop it first (a killed writer's lock frees ${sessionTimeoutMs / 1000} s after it died)`);
  }
}

/** This process held the writer lock and lost it (cut off or frozen past its session timeout while another writer took it). */
export class KafkaWriterLockLostError extends KafkaLogError {}

/**
 * One writer per log on Kafka (decisions.md D90). The lock is a consumer group with a
 * single-partition topic of its own (lockTopic): whoever is assigned partition 0 holds it. The assigner
 * (writer-lock-assigner.ts) keeps partition 0 with its holder across rebalances, so a newcomer
 * is assigned nothing and is refused with the holder's pid, host and command (read from the
 * holder's group metadata). A killed or frozen holder drops out of the group after its session
 * timeout, and the next writer is given the lock. Membership alone cannot stop a frozen holder
 * that wakes up from appending before it notices: `ensureHeld`, called before each append, makes
 * it wait for the group's word first. A broker-side fence is `transactionalId` (kafka-event-log.ts
 * `writer`), which the CLI does not use (D90: commit markers would take input offsets).
 */
export class KafkaWriterLock {
  private lostReason: string | null = null;
  private readonly lostListeners: ((reason: string) => void)[] = [];
  private readonly confirmedListeners: (() => void)[] = [];
  private released = false;
  /** performance.now() of the last answer from the group that we are still its member (join or heartbeat). */
  private confirmedAt = performance.now();

  private constructor(
    private readonly kafka: { consumer: Consumer; admin: Admin },
    readonly name: string,
    private readonly state: { heldAs: string | null },
    private readonly logger: Logger,
    private readonly sessionTimeoutMs: number,
  ) {}

  /** The transactional id a fenced log would use (KafkaEventLog `writer.transactionalId`; not used by the CLI, D90). */
  get transactionalId(): string {
    return this.name;
  }

  get held(): boolean {
    return this.lostReason === null && !this.released;
  }

  /** Throws KafkaWriterLockLostError once the lock is lost. */
  assertHeld(): void {
    if (this.lostReason !== null) throw new KafkaWriterLockLostError(this.lostReason);
  }

  /**
   * Before each append: the lock is held, and the group said so within half a session timeout.
   * A process frozen (SIGSTOP, a GC pause) past that waits for the group's next answer: a
   * heartbeat (still the holder: go on) or a rejoin that gives the lock to another writer (throws).
   * This is what stops a frozen writer woken after losing the lock from appending before its
   * consumer learns it (kafkajs heartbeats only between fetches). Not a fence: a process frozen
   * after this check and before its produce request reaches the broker still appends (D90).
   */
  async ensureHeld(): Promise<void> {
    this.assertHeld();
    if (performance.now() - this.confirmedAt <= this.sessionTimeoutMs / 2) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, this.sessionTimeoutMs * 2);
      this.confirmedListeners.push(done);
      this.lostListeners.push(done);
    });
    this.assertHeld();
    if (performance.now() - this.confirmedAt > this.sessionTimeoutMs) throw new KafkaWriterLockLostError(`the writer lock ${this.name}: no word from the group for ${Math.round((performance.now() - this.confirmedAt) / 1000)} s (session timeout ${this.sessionTimeoutMs / 1000} s); not appending`);
  }

  private confirmed(): void {
    this.confirmedAt = performance.now();
    for (const l of this.confirmedListeners.splice(0)) l();
  }

  /** Called once when the lock is lost. */
  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  /** Leaves the group: the next writer gets the lock at once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.kafka.consumer.disconnect().catch(() => undefined);
    await this.kafka.admin.disconnect().catch(() => undefined);
  }

  private lose(reason: string): void {
    if (this.lostReason !== null || this.released) return;
    this.lostReason = reason;
    this.logger.error({ event: 'writer-lock-lost', lock: this.name }, reason);
    for (const l of this.lostListeners) l(reason);
  }

  static async acquire(options: KafkaWriterLockOptions): Promise<KafkaWriterLock> {
    const name = options.name ?? DEFAULT_WRITER_LOCK;
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    const joinTimeoutMs = options.joinTimeoutMs ?? 3 * sessionTimeoutMs + 30_000;
    const logger = options.logger ?? silentLogger();
    const where = options.brokers.join(',');
    const topic = lockTopic(name);
    const kafka = new Kafka({ brokers: options.brokers, clientId: `tickflow-lock-${process.pid}`, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 } });
    const admin = kafka.admin();
    await withBackoff(`connect to Kafka at ${where} for the writer lock`, () => admin.connect(), DEFAULT_BACKOFF, logger);
    // One partition; false when it exists. librdkafka's mock cannot create topics: it auto-creates
    // one (4 partitions, of which the lock uses partition 0) when the consumer subscribes.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch(() => false);
    const state: { heldAs: string | null } = { heldAs: null };
    const claim = (): LockClaim => ({ heldAs: state.heldAs, pid: process.pid, host: hostname(), command: options.command });
    const consumer = kafka.consumer({
      groupId: name,
      partitionAssigners: [writerLockAssigner(claim)],
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.min(1_000, Math.floor(sessionTimeoutMs / 3)),
      rebalanceTimeout: 30_000,
      // Its fetch loop (of an empty topic) is where kafkajs heartbeats and learns of rebalances: keep it short.
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: true,
    });
    let lock: KafkaWriterLock | null = null;
    let settle: ((r: { got: boolean } | Error) => void) | null = null;
    const first = new Promise<{ got: boolean } | Error>((resolve) => (settle = resolve));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const got = e.payload.memberAssignment[topic]?.includes(0) ?? false;
      if (lock === null) {
        if (got) state.heldAs = e.payload.memberId; // before any later join reads the claim
        settle?.({ got });
        return;
      }
      if (got) lock.confirmed();
      if (!got) lock.lose(`the writer lock ${name} on Kafka at ${where} went to another writer (this process was cut off or frozen past its ${sessionTimeoutMs / 1000} s session timeout); it appends nothing more`);
      else if (e.payload.memberId !== state.heldAs) {
        // Rejoined under a new id while nobody else held it: kept. Had anybody taken it meanwhile,
        // its producer has fenced ours and our next append fails.
        logger.warn({ event: 'writer-lock-rejoined', lock: name }, `rejoined the writer lock group after losing membership; nobody else held the lock, kept it`);
        state.heldAs = e.payload.memberId;
      }
    });
    consumer.on(consumer.events.HEARTBEAT, () => lock?.confirmed());
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) return; // kafkajs rejoins on its own
      if (lock === null) settle?.(e.payload.error);
      else lock.lose(`the writer lock's group consumer stopped: ${e.payload.error.message}`);
    });
    const give = async (): Promise<void> => {
      await consumer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    };
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      // Nothing is ever written to the lock topic: the fetch loop only heartbeats and rejoins.
      await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
      let timer: NodeJS.Timeout | undefined;
      const answer = await Promise.race([first, new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new KafkaLogError(`no answer from the writer lock group ${name} on Kafka at ${where} within ${joinTimeoutMs / 1000} s`, { retriable: true })), joinTimeoutMs)))]);
      clearTimeout(timer);
      if (answer instanceof Error) throw answer;
      if (!answer.got) throw new KafkaLogLockedError(options.brokers, await describeHolder(admin, name, topic), sessionTimeoutMs);
    } catch (e) {
      await give();
      throw e;
    }
    lock = new KafkaWriterLock({ consumer, admin }, name, state, logger, sessionTimeoutMs);
    return lock;
  }
}

/** The claim of the member that is assigned partition 0 (a rebalance in progress may hide it for a moment). */
async function describeHolder(admin: Admin, name: string, topic: string): Promise<LockClaim | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const { groups } = await admin.describeGroups([name]).catch(() => ({ groups: [] }));
    for (const m of groups[0]?.members ?? []) {
      const assignment = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      if (assignment?.assignment[topic]?.includes(0)) return decodeClaim(m.memberMetadata);
    }
    await sleep(300);
  }
  return null;
}
