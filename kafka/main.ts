// npm run --silent kafka:up   |   npm run kafka:down
// `up` fetches the Kafka jars once (kafka/pom.xml), starts one KRaft broker on 127.0.0.1 in the
// background with its data in var/kafka/, and prints its bootstrap address `host:port` as the last
// line of stdout (again if one already runs). `down` stops it and deletes its data.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../lib/log.ts';
import { KAFKA_VERSION, kafkaUnavailable, startKafkaCluster } from './broker.ts';

const DIR = join(import.meta.dirname, '..', 'var', 'kafka');
const STATE = join(DIR, 'broker.json');
const STOP_TIMEOUT_MS = 30_000;

interface State {
  pid: number;
  brokers: string[];
  log: string;
}

// Progress on stderr through the same logger as the CLI's (lib/log.ts); stdout keeps the address.
const logger = createLogger();

function running(): State | undefined {
  if (!existsSync(STATE)) return undefined;
  const state = JSON.parse(readFileSync(STATE, 'utf8')) as State;
  return alive(state.pid) ? state : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function up(): Promise<void> {
  const current = running();
  if (current) {
    logger.info(`kafka: a broker already runs (pid ${current.pid}, log ${current.log})`);
    process.stdout.write(`${current.brokers.join(',')}\n`);
    return;
  }
  const unavailable = kafkaUnavailable();
  if (unavailable) {
    logger.info(`kafka: ${unavailable}`);
    process.exit(2);
  }
  rmSync(DIR, { recursive: true, force: true });
  const cluster = await startKafkaCluster({ dir: DIR, detached: true, logger });
  const node = cluster.nodes[0]!;
  const state: State = { pid: node.pid!, brokers: cluster.brokers, log: node.log };
  writeFileSync(STATE, `${JSON.stringify(state)}\n`);
  logger.info(`kafka: Apache Kafka ${KAFKA_VERSION} broker started (pid ${state.pid}, log ${state.log}); stop it with npm run kafka:down`);
  process.stdout.write(`${cluster.brokers.join(',')}\n`);
}

async function down(): Promise<void> {
  const current = running();
  if (!current) {
    logger.info('kafka: no broker started by kafka:up is running');
    rmSync(DIR, { recursive: true, force: true });
    return;
  }
  process.kill(current.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(current.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(current.pid)) {
    logger.info(`kafka: broker (pid ${current.pid}) still running after ${STOP_TIMEOUT_MS} ms: SIGKILL`);
    process.kill(current.pid, 'SIGKILL');
  }
  rmSync(DIR, { recursive: true, force: true });
  logger.info(`kafka: broker (pid ${current.pid}) stopped`);
}

const command = process.argv[2];
if (command === 'up') await up();
else if (command === 'down') await down();
else {
  logger.info('usage: node --import tsx kafka/main.ts up|down');
  process.exit(2);
}
