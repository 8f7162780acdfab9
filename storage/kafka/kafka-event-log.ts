import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { z } from 'zod';
import type { AppendRecord, EventLog, LogRecord, ReadOptions, RecordPosition } from '../log/event-log.ts';
import { validateAppend, validateTopicName } from '../log/log-validation.ts';
import { createInternalCluster, type InternalCluster } from './kafka-cluster.ts';
import { KafkaLogError } from './kafka-log-error.ts';
import { FollowFetcher } from './follow-fetcher.ts';
import { PartitionReader } from './partition-reader.ts';
import { ReadAhead, type FetchedRun } from './read-ahead.ts';
import { byteChunks, kafkaMessages, PRODUCE_MAX_BYTES, sendUntilAcknowledged, type KafkaMessage } from './produce-chunks.ts';
import { shareConcurrentConnects } from './share-connects.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { DEFAULT_BACKOFF, withBackoff } from './with-backoff.ts';

/** How long a reachable broker may take to auto-create a topic or elect its leaders. */
const TOPIC_READY_TIMEOUT_MS = 10_000;

const OptionsSchema = z.object({
  brokers: z.array(z.string().min(1)).min(1),
  clientId: z.string().default('tickflow'),
  connectionTimeoutMs: z.number().int().positive().default(3_000),
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** Most bytes one fetch returns per partition, and one follow fetch in all (a larger single record batch still comes whole). */
  fetchMaxBytes: z.number().int().positive().default(8 * 2 ** 20),
  /**
   * Most bytes one fetch of a bounded read (toOffset given) returns. What it returns past the read's
   * end is kept for the next read from there (ReadAhead, D100), so this bounds that memory per
   * partition; a record batch larger than this still comes whole.
   */
  readAheadMaxBytes: z.number().int().positive().default(2 ** 20),
  /** How long follow() lets the broker hold a fetch when there is nothing new, ms. */
  followMaxWaitMs: z.number().int().min(0).default(500),
  /** Pause after an empty follow() fetch, for brokers that answer at once instead of holding it, ms. */
  followIdleMs: z.number().int().min(0).default(20),
  /** Most bytes of keys and values sent in one produce request. */
  produceMaxBytes: z.number().int().positive().default(PRODUCE_MAX_BYTES),
  /**
   * offsetForTime through the broker's ListOffsets(timestamp), or by scanning the partition.
   * `auto` scans only on librdkafka's mock cluster, which answers every timestamp lookup with
   * "none" (rdkafka_mock_handlers.c: ListOffsets handles only -1/-2).
   */
  timeLookup: z.enum(['auto', 'broker', 'scan']).default('auto'),
  /**
   * Appends through an idempotent producer (D64), or not. `auto` is on except on librdkafka's mock
   * cluster, where kafkajs cannot get a producer id (it asks the controller, whose id the mock's
   * metadata does not list among its brokers: KafkaJSBrokerNotFound "Broker 0").
   */
  idempotence: z.enum(['auto', 'on', 'off']).default('auto'),
  backoff: z.object({ initialMs: z.number().positive(), maxMs: z.number().positive(), maxElapsedMs: z.number().positive() }).default({ ...DEFAULT_BACKOFF }),
});
export type KafkaEventLogOptions = z.input<typeof OptionsSchema> & {
  /** Where retries and outages are reported (lib/log.ts); default: nowhere. */
  logger?: Logger;
  /** Set by commands that hold the writer lock (kafka-writer-lock.ts, D90). */
  writer?: WriterFence;
};

/**
 * How a writer that holds the lock is kept from appending once it has lost it.
 * `transactionalId`: every append is one transaction under this id; connecting fences any earlier
 * producer with the same id (the previous holder's: its open transaction is aborted and its
 * later sends and commits are refused by the broker). `assertHeld` runs before each append (a
 * local check only: the fence is the broker's).
 */
export interface WriterFence {
  transactionalId?: string;
  assertHeld?: () => void | Promise<void>;
}

/** Another producer with our transactional id has fenced ours: another writer took over the log. */
export class KafkaWriterFencedError extends KafkaLogError {}

/** Whether a kafkajs failure says this producer was fenced (INVALID_PRODUCER_EPOCH 47, PRODUCER_FENCED 90). */
export function isFenced(err: unknown): boolean {
  for (let e: unknown = err, n = 0; e instanceof Error && n < 8; n++) {
    const { type, code } = e as { type?: string; code?: number };
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED' || code === 47 || code === 90) return true;
    const nested = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(nested) && nested.some(isFenced)) return true;
    e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/**
 * The producer for appends. Idempotent (D64): the broker drops a resent batch it already wrote,
 * which kafkajs allows only with acks=all (every send here) and one request in flight per broker
 * connection. Not idempotent only where the broker cannot give it a producer id (the mock).
 */
function appendProducer(kafka: Kafka, idempotent: boolean, transactionalId?: string): Producer {
  if (transactionalId !== undefined) return kafka.producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1, transactionalId, createPartitioner: Partitioners.DefaultPartitioner });
  return idempotent
    ? kafka.producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
    : kafka.producer({ allowAutoTopicCreation: true, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
}

/**
 * The EventLog on Kafka (kafkajs). Appends go through an idempotent producer with acks=all to the partition
 * computed here with partitionFor (kafkajs's DefaultPartitioner is the same murmur2, but passing
 * the partition makes both backends agree by construction). Reads fetch straight from the
 * partition leader through kafkajs's cluster layer (see kafka-cluster.ts), without a consumer
 * group. Broker outages are retried with backoff and logged.
 */
export class KafkaEventLog implements EventLog {
  private readonly partitionCounts = new Map<string, number>();
  /** Per topic, the append in progress: appends to one topic run one after another (see append). */
  private readonly appending = new Map<string, Promise<unknown>>();
  /** False after replaceProducer until the new producer connects. */
  private producerConnected = true;
  private producerConnecting: Promise<void> | undefined;
  private readonly reader: PartitionReader;
  /** The follows' cluster's connect, started by the first follow (null: not yet, or it failed). */
  private followConnected: Promise<void> | null = null;
  /** The fetch loop shared by every follow (D124). */
  private readonly follows: FollowFetcher;
  /** Records fetched past the end of a bounded read, for the next read from there (D100). */
  private readonly readAhead = new ReadAhead();
  private closed = false;
  /** Transactional appends only: why appends stopped for good (fenced, or a transaction that could not be ended). */
  private stopped: Error | null = null;

  private constructor(
    private readonly options: z.output<typeof OptionsSchema>,
    private readonly kafka: Kafka,
    /** Whether appends go through an idempotent producer (see the `idempotence` option). */
    readonly idempotent: boolean,
    private producer: Producer,
    private readonly admin: Admin,
    private readonly cluster: InternalCluster,
    /**
     * The follows' own cluster: their own connections to each broker, opened at the first follow
     * (D168). kafkajs sends every Fetch to a broker on one connection and a broker answers one
     * connection's requests one at a time (D124), so with a shared cluster every read's Fetch
     * queued behind the follows' parked long poll, up to followMaxWaitMs (500 ms).
     */
    private readonly followCluster: InternalCluster,
    private readonly scanForTime: boolean,
    private readonly logger: Logger,
    /** Appends are transactions under this id (the writer lock's fence), or undefined. */
    readonly transactionalId: string | undefined,
    private readonly assertHeld: () => void | Promise<void>,
  ) {
    this.reader = new PartitionReader(cluster, options.fetchMaxBytes);
    this.follows = new FollowFetcher(new PartitionReader(followCluster, options.fetchMaxBytes), { maxWaitMs: options.followMaxWaitMs, idleMs: options.followIdleMs, maxBytes: options.fetchMaxBytes, backoff: options.backoff }, logger);
  }

  static async connect(options: KafkaEventLogOptions): Promise<KafkaEventLog> {
    const { logger = silentLogger(), writer, ...rest } = options;
    const opts = OptionsSchema.parse(rest);
    // kafkajs's own short retries cover leader moves; longer outages go through withBackoff, which logs.
    const retry = { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 };
    const common = { brokers: opts.brokers, clientId: opts.clientId, connectionTimeout: opts.connectionTimeoutMs, requestTimeout: opts.requestTimeoutMs, retry };
    const kafka = new Kafka({ ...common, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    // Else concurrent follows leak sockets that keep the process alive after close().
    const cluster = shareConcurrentConnects(createInternalCluster({ ...common, logLevel: logLevel.NOTHING }));
    const where = opts.brokers.join(',');
    const clusterId = await withBackoff(`connect to Kafka at ${where}`, async () => {
      await Promise.all([admin.connect(), cluster.connect()]);
      return (await admin.describeCluster()).clusterId;
    }, opts.backoff, logger);
    const mock = clusterId.startsWith('mockCluster');
    const scan = opts.timeLookup === 'scan' || (opts.timeLookup === 'auto' && mock);
    const idempotent = opts.idempotence === 'on' || (opts.idempotence === 'auto' && !mock);
    // The mock has no transactions: there the lock is all a writer gets (said once).
    const transactionalId = mock ? undefined : writer?.transactionalId;
    if (mock && writer?.transactionalId !== undefined) logger.warn({ event: 'no-fence' }, `librdkafka's mock cluster has no transactions: appends are not fenced (the writer lock still refuses a second writer)`);
    const producer = appendProducer(kafka, idempotent, transactionalId);
    try {
      await withBackoff(`connect a Kafka producer to ${where}`, () => producer.connect(), opts.backoff, logger);
      // InitProducerId under our transactional id: bumps its epoch, which aborts an open
      // transaction of the previous holder and makes the broker refuse anything it sends later.
      if (transactionalId !== undefined) await withBackoff(`fence earlier writers (transactional id ${transactionalId})`, async () => (await producer.transaction()).abort(), opts.backoff, logger);
    } catch (e) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect(), cluster.disconnect()]);
      throw e;
    }
    // Not connected here: processes that never follow open no second connection.
    const followCluster = shareConcurrentConnects(createInternalCluster({ ...common, logLevel: logLevel.NOTHING }));
    return new KafkaEventLog(opts, kafka, idempotent, producer, admin, cluster, followCluster, scan, logger, transactionalId, writer?.assertHeld ?? ((): void => undefined));
  }

  async partitions(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached !== undefined) return cached;
    this.assertOpen();
    validateTopicName(topic);
    let notReadySince: number | undefined;
    const count = await this.retry(`metadata of ${topic}`, async () => {
      await this.cluster.addTargetTopic(topic); // auto-creates it where the broker allows
      const meta = this.cluster.findTopicPartitionMetadata(topic);
      if (meta.length === 0 || meta.some((p) => p.partitionErrorCode !== 0 || p.leader === undefined || p.leader < 0)) {
        await this.cluster.refreshMetadata();
        // A reachable broker that still lacks the topic after a while will not auto-create it: stop waiting.
        notReadySince ??= Date.now();
        const retriable = Date.now() - notReadySince < TOPIC_READY_TIMEOUT_MS;
        throw new KafkaLogError(`topic ${topic} is not ready on the broker (missing, or no leader yet); run \`tickflow topics create\` if auto-creation is off`, { retriable });
      }
      return meta.length;
    });
    this.partitionCounts.set(topic, count);
    return count;
  }

  /**
   * Appends through the idempotent producer (D64): each partition's batch carries the producer's
   * sequence number, and a resend of a batch the broker already wrote (a request that timed out
   * after the write, a lost connection) is acknowledged with the first write's offsets instead of
   * being written twice. That holds only while a resend carries the same records under the same
   * sequence, so appends to one topic are queued here one after another (kafkajs would otherwise
   * give a concurrent append's batch the sequence of one being retried), and an append that fails
   * for good replaces the producer: its next batch would reuse the failed batch's sequence.
   */
  append(topic: string, records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    this.assertOpen();
    validateAppend(records);
    // A transactional producer runs one transaction at a time: then every append waits its turn.
    const queue = this.transactionalId === undefined ? topic : '';
    const previous = this.appending.get(queue) ?? Promise.resolve();
    const run = (): Promise<RecordPosition[]> => (this.transactionalId === undefined ? this.appendNow(topic, records) : this.appendInTransaction(topic, records));
    const mine = previous.then(run, run);
    const settled = mine.catch(() => undefined);
    this.appending.set(queue, settled);
    void settled.then(() => {
      if (this.appending.get(queue) === settled) this.appending.delete(queue);
    });
    return mine;
  }

  /**
   * One append as one transaction (the writer lock's fence, D90). Sends are retried within the
   * transaction as in appendNow (a resend carries the same sequence numbers). A fenced producer
   * stops for good: never re-initialised, since that would fence the writer that fenced it. A
   * transaction that failed otherwise is aborted (its records are never visible to the log's
   * readers, which read committed) and appends stop too: kafkajs would give the next batch the
   * failed one's sequence numbers, and a new producer id would need a new InitProducerId, which
   * is safe only while the lock is held (restart the command).
   */
  private async appendInTransaction(topic: string, records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    this.assertOpen();
    if (this.stopped !== null) throw this.stopped;
    await this.assertHeld();
    const n = await this.partitions(topic);
    const positions: RecordPosition[] = [];
    let txn: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      txn = await this.retry('begin a transaction', () => this.producer.transaction());
      const t = txn;
      for (const chunk of byteChunks(records, this.options.produceMaxBytes)) {
        const send = (messages: KafkaMessage[]) => this.retry(`append to ${topic}`, () => t.send({ topic, acks: -1, messages }));
        for (const p of await sendUntilAcknowledged(topic, kafkaMessages(chunk, n), send, (m) => this.logger.warn({ event: 'resend-unacknowledged', topic }, m))) positions.push(p);
      }
      await this.retry(`commit the append to ${topic}`, () => t.commit());
      return positions;
    } catch (e) {
      if (isFenced(e)) {
        this.stopped = new KafkaWriterFencedError(`another writer took over the log on Kafka at ${this.options.brokers.join(',')} (its producer fenced this one, transactional id ${this.transactionalId}): this process lost the writer lock and appends nothing more; what it sent since is discarded`, { cause: e });
        throw this.stopped;
      }
      await txn?.abort().catch(() => undefined);
      this.stopped = new KafkaLogError(`an append to ${topic} failed and its transaction was aborted (nothing of it is visible); this writer appends nothing more: run the command again`, { cause: e });
      throw e;
    }
  }

  private async appendNow(topic: string, records: readonly AppendRecord[]): Promise<RecordPosition[]> {
    this.assertOpen();
    await this.assertHeld();
    const n = await this.partitions(topic);
    const positions: RecordPosition[] = [];
    try {
      for (const chunk of byteChunks(records, this.options.produceMaxBytes)) {
        const send = (messages: KafkaMessage[]) => this.retry(`append to ${topic}`, async () => {
          await this.connectProducer();
          return this.producer.send({ topic, acks: -1, messages });
        });
        for (const p of await sendUntilAcknowledged(topic, kafkaMessages(chunk, n), send, (m) => this.logger.warn({ event: 'resend-unacknowledged', topic }, m))) positions.push(p);
      }
    } catch (e) {
      if (!this.closed) await this.replaceProducer();
      throw e;
    }
    return positions;
  }

  /** A fresh producer (a new producer id, sequences from 0) after an append that failed for good. */
  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = appendProducer(this.kafka, this.idempotent);
    this.producerConnected = false;
    await old.disconnect().catch(() => undefined);
    this.logger.warn({ event: 'producer-replaced' }, 'an append failed: the Kafka producer is replaced so that its next batches start a new sequence');
  }

  /** Connects a replaced producer (once, shared by concurrent appends). */
  private async connectProducer(): Promise<void> {
    if (this.producerConnected) return;
    const producer = this.producer;
    this.producerConnecting ??= this.retry('connect the Kafka producer', () => producer.connect())
      .then(() => {
        if (this.producer === producer) this.producerConnected = true;
      })
      .finally(() => {
        this.producerConnecting = undefined;
      });
    await this.producerConnecting;
  }

  async endOffset(topic: string, partition: number): Promise<number> {
    await this.checkPartition(topic, partition);
    return this.retry(`end offset of ${topic}/${partition}`, () => this.reader.listOffset(topic, partition, 'latest'));
  }

  async offsetForTime(topic: string, partition: number, ts: number): Promise<number> {
    if (!Number.isFinite(ts)) throw new KafkaLogError(`offsetForTime: timestamp must be a finite number, got ${ts}`);
    await this.checkPartition(topic, partition);
    if (this.scanForTime) return this.scanTime(topic, partition, ts);
    const found = await this.retry(`offset for time ${ts} in ${topic}/${partition}`, () => this.reader.listOffset(topic, partition, Math.max(0, Math.ceil(ts))));
    return found >= 0 ? found : this.endOffset(topic, partition);
  }

  /**
   * Records from fromOffset to toOffset (or the end now). A fetch returns whole record batches: what
   * comes back past toOffset is kept (ReadAhead) and a read that starts there takes it instead of
   * fetching and decoding those batches again; such a read that ends inside the kept records asks
   * the broker nothing (they are all below the end, which only grows).
   */
  async *read(topic: string, partition: number, options: ReadOptions = {}): AsyncIterable<LogRecord[]> {
    const from = options.fromOffset ?? 0;
    const batchSize = options.batchSize ?? 4096;
    if (!Number.isSafeInteger(from) || from < 0) throw new KafkaLogError(`read: fromOffset must be an integer >= 0, got ${from}`);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new KafkaLogError(`read: batchSize must be an integer >= 1, got ${batchSize}`);
    const bounded = options.toOffset !== undefined;
    const maxBytes = bounded ? Math.min(this.options.readAheadMaxBytes, this.options.fetchMaxBytes) : this.options.fetchMaxBytes;
    let to = options.toOffset ?? Number.POSITIVE_INFINITY;
    let endKnown = false;
    let next = from;
    // Fetches return whatever record batches the broker has; re-cut them so every batch but the last is full.
    let pending: LogRecord[] = [];
    while (next < to && !this.closed) {
      let fetched: FetchedRun | undefined = this.readAhead.take(topic, partition, next);
      if (fetched === undefined) {
        if (!endKnown) {
          to = Math.min(to, await this.endOffset(topic, partition));
          endKnown = true;
          if (next >= to) break;
        }
        const at = next;
        fetched = await this.retry(`read ${topic}/${partition}`, () => this.reader.fetch(topic, partition, at, 0, maxBytes));
        if (fetched.nextOffset === next) throw new KafkaLogError(`read ${topic}/${partition}: the broker returned nothing at offset ${next} although the end is ${to}`, { retriable: true });
      }
      let usable = fetched.records;
      if (fetched.nextOffset > to) {
        usable = fetched.records.filter((r) => r.offset < to);
        if (bounded) this.readAhead.keep(topic, partition, to, fetched);
        next = to;
      } else {
        next = fetched.nextOffset;
      }
      pending = pending.length === 0 ? usable : pending.concat(usable);
      let i = 0;
      for (; i + batchSize <= pending.length; i += batchSize) yield pending.slice(i, i + batchSize);
      pending = pending.slice(i);
    }
    if (pending.length > 0 && !this.closed) yield pending;
  }

  /** Fetch requests sent by reads and follows, and reads (or their parts) answered from records kept by an earlier read. */
  readStats(): { fetches: number; readAheadHits: number; followFetches: number; followFetchesMaxInFlight: number } {
    return { fetches: this.reader.fetches, readAheadHits: this.readAhead.hits, followFetches: this.follows.stats.requests, followFetchesMaxInFlight: this.follows.stats.maxInFlight };
  }

  /** The follows' fetch loop as it stands now (FollowFetcher.state), for a diagnosis. */
  followState(): ReturnType<FollowFetcher['state']> {
    return this.follows.state();
  }

  /**
   * Tails a partition. Every follow of this log is served by one shared fetch loop (FollowFetcher,
   * D124): at most one Fetch in flight per broker, covering all the followed partitions it leads,
   * so n follows are one outstanding long poll and close() waits for at most one followMaxWaitMs.
   */
  async *follow(topic: string, partition: number, fromOffset: number, signal: AbortSignal): AsyncIterable<LogRecord[]> {
    await this.checkPartition(topic, partition);
    // A connect that failed for good is tried afresh by the next follow.
    this.followConnected ??= this.retry(`connect the follows to Kafka at ${this.options.brokers.join(',')}`, () => this.followCluster.connect()).catch((e: unknown) => {
      this.followConnected = null;
      throw e;
    });
    await this.followConnected;
    if (this.closed) return;
    yield* this.follows.follow(topic, partition, fromOffset, signal);
  }

  async topics(): Promise<string[]> {
    this.assertOpen();
    const names = await this.retry('list topics', () => this.admin.listTopics());
    return names.filter((t) => !t.startsWith('__')).sort();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.follows.close();
    this.readAhead.clear();
    // The follows' cluster once its connect has ended (a connect in flight would leave a socket open).
    const follows = this.followConnected === null ? Promise.resolve() : this.followConnected.catch(() => undefined).then(() => this.followCluster.disconnect());
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect(), this.cluster.disconnect(), follows]);
  }

  /** Kafka's ListOffsets(timestamp) semantics by a scan: first offset whose timestamp >= ts, else the end. */
  private async scanTime(topic: string, partition: number, ts: number): Promise<number> {
    const end = await this.endOffset(topic, partition);
    for await (const batch of this.read(topic, partition, { toOffset: end, batchSize: 65_536 })) {
      for (const r of batch) if (r.timestamp >= ts) return r.offset;
    }
    return end;
  }

  private async checkPartition(topic: string, partition: number): Promise<void> {
    const count = await this.partitions(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new KafkaLogError(`${topic} has ${count} partitions, no partition ${partition}`);
    }
  }

  private retry<T>(what: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.assertOpen();
    return withBackoff(what, attempt, this.options.backoff, this.logger, signal);
  }

  private assertOpen(): void {
    if (this.closed) throw new KafkaLogError(`Kafka log (${this.options.brokers.join(',')}) is closed`);
  }
}
