/**
 * Starts librdkafka's built-in mock Kafka cluster through Debian's `kcat` (see
 * /work/shared/ENVIRONMENT.md): `kcat -P -b unused:9092 -X test.mock.num.brokers=3 -d mock` runs
 * a 3-broker mock that speaks the real protocol over TCP for as long as kcat's stdin stays open,
 * and logs `Mock cluster ... bootstrap.servers=127.0.0.1:PORT,...` on stderr. The mock keeps
 * everything in memory, auto-creates topics with 4 partitions, and does not support CreateTopics
 * or transactions. Set TICKFLOW_KAFKA_BROKERS to use a cluster that already runs instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { killOnProcessEnd } from './on-process-end.ts';

export interface KafkaMock {
  brokers: string[];
  /** The kcat process running the mock (none for an external cluster): tests freeze it with SIGSTOP. */
  pid?: number;
  /** Closes kcat's stdin (it then exits), SIGKILL after a timeout. Idempotent. */
  stop(): Promise<void>;
}

export type KafkaMockResult = KafkaMock | { skip: string };

export const KCAT_MISSING = 'kcat not installed (apt-get install kcat)';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const ADDRESS = /bootstrap\.servers=([0-9.:,]+)/;

export function kcatInstalled(): boolean {
  const r = spawnSync('kcat', ['-V'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export async function startKafkaMock(brokers = 3): Promise<KafkaMockResult> {
  const external = process.env['TICKFLOW_KAFKA_BROKERS'];
  if (external) return { brokers: external.split(','), stop: () => Promise.resolve() };
  if (!kcatInstalled()) return { skip: KCAT_MISSING };

  // stdin stays open (the pipe is ours): kcat produces nothing and keeps the mock alive.
  const proc = spawn('kcat', ['-P', '-b', 'unused:9092', '-t', '__tickflow-mock-warmup', '-X', `test.mock.num.brokers=${brokers}`, '-d', 'mock'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const release = killOnProcessEnd(proc);
  let tail = '';
  let found: string | undefined;
  let onFound: (() => void) | undefined;
  // With `-d mock` kcat logs every request: keep draining stderr or kcat blocks on a full pipe.
  proc.stderr?.on('data', (chunk: Buffer) => {
    if (found !== undefined) return;
    tail = (tail + chunk.toString()).slice(-8_000);
    const m = ADDRESS.exec(tail);
    if (m) {
      found = m[1];
      onFound?.();
    }
  });
  const stop = async (): Promise<void> => {
    release();
    await terminate(proc);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kcat mock cluster did not report bootstrap.servers within ${READY_TIMEOUT_MS} ms\n${tail}`)), READY_TIMEOUT_MS);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      onFound = () => done();
      proc.once('error', (e) => done(e));
      proc.once('exit', (code, signal) => done(new Error(`kcat exited before the mock cluster was up (code ${code}, signal ${signal})\n${tail}`)));
      if (found !== undefined) done();
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { brokers: found!.split(','), stop, ...(proc.pid !== undefined ? { pid: proc.pid } : {}) };
}

async function terminate(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.stdin?.end();
  const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

