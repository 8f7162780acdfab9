/**
 * A real Apache Kafka (KRaft) cluster on loopback from the official jars on Maven Central, for
 * tests, CI, benchmarks and `npm run kafka:up` (kafka/main.ts). `kafka/pom.xml` names the jars;
 * `fetchKafkaJars` copies them once into a cache (`mvn dependency:copy-dependencies`);
 * `startKafkaCluster` formats each node's log dir with the storage tool and starts `kafka.Kafka`
 * with every node both broker and controller, on free ports of 127.0.0.1. See docs/kafka.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { killOnProcessEnd } from '../test/helpers/on-process-end.ts';
import { silentLogger, type Logger } from '../lib/log.ts';

export const POM = join(import.meta.dirname, 'pom.xml');
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'))?.[1] ?? 'unknown';

export interface KafkaClusterOptions {
  /** Where each node keeps its config, log dirs and `broker.log` (`<dir>/node-<id>/`). */
  dir: string;
  /** Nodes, each broker and controller (default 1). */
  nodes?: number;
  /** JVM heap per node (default 512m; the machines have 2 cores and tests run beside it). */
  heap?: string;
  /** Node processes outlive this one (for `kafka:up`); otherwise they are children. */
  detached?: boolean;
  /** How long a node may take to log "Kafka Server started" (default 120 s: the machines are shared and can be slow). */
  readyTimeoutMs?: number;
  /** Progress (fetching jars, formatting), lib/log.ts. Default: silent. */
  logger?: Logger;
}

export interface KafkaNode {
  id: number;
  port: number;
  /** Undefined while the node is stopped. */
  pid: number | undefined;
  log: string;
}

export interface KafkaCluster {
  /** Bootstrap addresses `127.0.0.1:port`, one per node. */
  brokers: string[];
  nodes: KafkaNode[];
  /** Stops every node (SIGTERM, SIGKILL after 20 s; 180 s for a node writing the class archive). Idempotent. */
  stop(): Promise<void>;
  /** Stops one node: SIGTERM (controlled shutdown) or SIGKILL (a crash). */
  stopNode(id: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts a stopped node again with its data, and waits until it serves. */
  startNode(id: number): Promise<void>;
}

/**
 * A random cluster id as Kafka's `Uuid.randomUuid()` makes them: 16 bytes in URL-safe base64, never
 * starting with '-', which the storage tool's argument parser would take for an option (it did: one
 * CI run in 64 failed with "argument --cluster-id/-t: expected one argument").
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Why no broker can be started here (Java or Maven missing), or undefined when one can. */
export function kafkaUnavailable(): string | undefined {
  if (!works('java', ['-version'])) return 'Java is not installed (Kafka needs java 17+ on PATH)';
  if (!jarsCached() && !works('mvn', ['-v'])) return `Maven (mvn) is not installed and the Kafka ${KAFKA_VERSION} jars are not cached in ${libsDir()}`;
  return undefined;
}

export function cacheDir(): string {
  return process.env['TICKFLOW_KAFKA_CACHE'] ?? join(homedir(), '.cache', 'tickflow', `kafka-${KAFKA_VERSION}`);
}

function libsDir(): string {
  return join(cacheDir(), 'libs');
}

/** The pom's hash, kept beside the jars: a changed pom fetches again. */
function pomHash(): string {
  return createHash('sha256').update(readFileSync(POM)).digest('hex');
}

function jarsCached(): boolean {
  const marker = join(libsDir(), '.pom-sha256');
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === pomHash();
}

/** Copies the broker's jars into the cache once (Maven resolves them from Central); returns the dir. */
export async function fetchKafkaJars(logger: Logger = silentLogger()): Promise<string> {
  const libs = libsDir();
  if (jarsCached()) return libs;
  logger.info(`kafka: fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${libs}`);
  const staging = `${libs}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const { code, output } = await run('mvn', ['-q', '-B', '-f', POM, `-DoutputDirectory=${staging}`, '-DincludeScope=runtime', 'dependency:copy-dependencies'], 600_000);
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`kafka: mvn dependency:copy-dependencies failed (exit ${code})\n${output.slice(-4_000)}`);
  }
  writeFileSync(join(staging, '.pom-sha256'), `${pomHash()}\n`);
  // Another process may have finished first: its copy is as good as ours.
  rmSync(libs, { recursive: true, force: true });
  try {
    renameSync(staging, libs);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (!jarsCached()) throw e;
  }
  return libs;
}

/** The broker's classpath (`<libs>/*`), fetching the jars first if needed: for Kafka's own tools. */
export async function kafkaClasspath(logger?: Logger): Promise<string> {
  return join(await fetchKafkaJars(logger), '*');
}

export async function startKafkaCluster(options: KafkaClusterOptions): Promise<KafkaCluster> {
  const { dir, nodes: count = 1, heap = '512m', detached = false, readyTimeoutMs = 120_000, logger = silentLogger() } = options;
  const unavailable = kafkaUnavailable();
  if (unavailable) throw new Error(`kafka: ${unavailable}`);
  const libs = await fetchKafkaJars(logger);
  const classpath = join(libs, '*');
  const ports = await freePorts(count * 2);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const voters = ids.map((id) => `${id}@127.0.0.1:${ports[count + id - 1]}`).join(',');
  const clusterId = newClusterId();
  const replication = Math.min(count, 3);

  const nodes: KafkaNode[] = ids.map((id) => ({ id, port: ports[id - 1]!, pid: undefined, log: join(dir, `node-${id}`, 'broker.log') }));
  const procs = new Map<number, ChildProcess>();
  /** Per node: how long a SIGTERM may take before SIGKILL (longer while it writes the class archive at exit). */
  const graceMs = new Map<number, number>();
  for (const node of nodes) {
    const home = join(dir, `node-${node.id}`);
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'server.properties'), serverProperties(node.id, node.port, ports[count + node.id - 1]!, voters, join(home, 'data'), replication));
    writeFileSync(join(home, 'log4j2.properties'), LOG4J);
    logger.info(`kafka: formatting node ${node.id} (${home})`);
    const format = spawnSync('java', [...jvm(heap, home, '128m'), ...sharedClasses(), '-cp', classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', join(home, 'server.properties')], { encoding: 'utf8' });
    if (format.status !== 0) throw new Error(`kafka: storage format of node ${node.id} failed (exit ${format.status})\n${format.stdout}${format.stderr}`.slice(-4_000));
  }

  const launch = async (node: KafkaNode): Promise<void> => {
    const home = join(dir, `node-${node.id}`);
    const out = openSync(node.log, 'a');
    const startedAt = readFileSync(node.log, 'utf8').length;
    // A child (not detached: its exit is seen here) with no class archive yet writes one as it exits.
    const dump = detached ? undefined : classArchiveToWrite();
    const share = dump ? [`-XX:ArchiveClassesAtExit=${dump.temp}`] : sharedClasses();
    const proc = spawn('java', [...jvm(heap, home), ...share, '-cp', classpath, 'kafka.Kafka', join(home, 'server.properties')], { detached, stdio: ['ignore', out, out] });
    closeSync(out);
    if (detached) proc.unref();
    const release = detached ? (): boolean => false : killOnProcessEnd(proc);
    procs.set(node.id, proc);
    graceMs.set(node.id, dump ? 180_000 : 20_000);
    node.pid = proc.pid;
    proc.once('exit', (_code, signal) => {
      dump?.done(signal === null);
      release();
      if (procs.get(node.id) === proc) {
        procs.delete(node.id);
        node.pid = undefined;
      }
    });
    await waitReady(node, proc, startedAt, readyTimeoutMs);
  };
  const stopNode = async (id: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const proc = procs.get(id);
    if (proc) await terminate(proc, signal, graceMs.get(id));
  };
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => stopNode(n.id)));
  };
  try {
    await Promise.all(nodes.map(launch));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    brokers: nodes.map((n) => `127.0.0.1:${n.port}`),
    nodes,
    stop,
    stopNode,
    startNode: async (id) => {
      const node = nodes.find((n) => n.id === id);
      if (!node) throw new Error(`kafka: no node ${id}`);
      if (procs.has(id)) return;
      await launch(node);
    },
  };
}

function serverProperties(id: number, port: number, controllerPort: number, voters: string, data: string, replication: number): string {
  return `${[
    'process.roles=broker,controller',
    `node.id=${id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${data}`,
    // As librdkafka's mock (the other test cluster): topics auto-created with 4 partitions.
    'num.partitions=4',
    `default.replication.factor=${replication}`,
    `min.insync.replicas=${replication > 1 ? 2 : 1}`,
    `offsets.topic.replication.factor=${replication}`,
    // 4 instead of 50 internal partitions: the first group or transaction is ready sooner.
    'offsets.topic.num.partitions=4',
    `transaction.state.log.replication.factor=${replication}`,
    `transaction.state.log.min.isr=${replication > 1 ? 2 : 1}`,
    'transaction.state.log.num.partitions=4',
    `share.coordinator.state.topic.replication.factor=${replication}`,
    `share.coordinator.state.topic.min.isr=${replication > 1 ? 2 : 1}`,
    'group.initial.rebalance.delay.ms=0',
    // Auto-created topics keep their records, as the catalogue's do (schemas/topics.ts): retention
    // counts from each record's timestamp, so at Kafka's default (7 days) a record stamped in the
    // past (an epoch-near test value, a 2023 or January market) was deleted by the next retention
    // check, minutes or seconds after it was written (seen: follow-fetch and writer-lock tests).
    'log.retention.ms=-1',
  ].join('\n')}\n`;
}

// INFO from the server's lifecycle only ("Kafka Server started" says it serves); WARN elsewhere.
const LOG4J = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
logger.server.name = kafka.server
logger.server.level = INFO
`;

function jvm(heap: string, home: string, initial = '64m'): string[] {
  return [`-Xmx${heap}`, `-Xms${initial}`, '-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`];
}

/*
 * Class data sharing (AppCDS, JDK 13+): a node's JVM maps the classes a broker loads (about 50 MB,
 * parsed and verified) from an archive instead of loading them from the jars. A 1-node format,
 * start and stop took 8.4 CPU s without it and 5.4 with it (docs/testing.md); every test cluster
 * and every restart of a node pays that. The archive is written once per jar set and JVM by the
 * first node that finds none (-XX:ArchiveClassesAtExit: the JVM writes it when it exits normally,
 * i.e. when stopped with SIGTERM, not SIGKILL; its stop may then take up to 180 s instead of 20 s
 * before SIGKILL: the dump took over 20 s at load 40), next to the jars: a changed pom fetches the jars
 * into a new directory (fetchKafkaJars), and the file name carries the JVM's version. A JVM that
 * cannot use an archive (-Xshare:auto, the default) warns in broker.log and starts without it.
 */
let javaTag: string | undefined;

/** The archive for these jars and this JVM (`java -version`'s text, hashed). */
function classArchive(): string {
  javaTag ??= createHash('sha256').update(spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr ?? '').digest('hex').slice(0, 12);
  return join(libsDir(), `.classes-${javaTag}.jsa`);
}

/** JVM options that map the class archive, when there is one. */
function sharedClasses(): string[] {
  const archive = classArchive();
  return existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [];
}

let writingArchive = false;

/**
 * When no class archive exists yet and no node of this process is writing one: a temporary file
 * for this node's JVM to write at its exit, and `done(normalExit)` (call on exit) which moves the
 * archive of a normal exit into place (atomically: another process's archive is as good as ours)
 * and removes any other (a JVM killed by a signal may have left it half written).
 */
function classArchiveToWrite(): { temp: string; done(normalExit: boolean): void } | undefined {
  const archive = classArchive();
  if (writingArchive || existsSync(archive)) return undefined;
  writingArchive = true;
  const temp = `${archive}.tmp-${process.pid}`;
  rmSync(temp, { force: true });
  return {
    temp,
    done(normalExit) {
      writingArchive = false;
      try {
        if (normalExit && existsSync(temp) && !existsSync(archive)) renameSync(temp, archive);
      } catch {
        // Not written (the node was killed) or raced: the next start tries again.
      }
      rmSync(temp, { force: true });
    },
  };
}

const READY = /Kafka Server started/;

/** Waits for the node's "Kafka Server started" (in the log written since `from`), its exit, or the timeout. */
async function waitReady(node: KafkaNode, proc: ChildProcess, from: number, timeoutMs: number): Promise<void> {
  const tail = (): string => readFileSync(node.log, 'utf8').slice(from).slice(-4_000);
  const deadline = Date.now() + timeoutMs;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  for (;;) {
    if (READY.test(readFileSync(node.log, 'utf8').slice(from))) return;
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`kafka: node ${node.id} exited before it served (code ${proc.exitCode}, signal ${proc.signalCode}); ${node.log}:\n${tail()}`);
    if (Date.now() > deadline) throw new Error(`kafka: node ${node.id} did not log "Kafka Server started" within ${timeoutMs} ms; ${node.log}:\n${tail()}`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 100)))]);
    clearTimeout(timer);
  }
}

async function terminate(proc: ChildProcess, signal: 'SIGTERM' | 'SIGKILL', graceMs = 20_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `count` distinct ports the OS reports free on 127.0.0.1 (all held open until all are known). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    })),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-64_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

