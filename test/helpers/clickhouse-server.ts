/**
 * Starts a private clickhouse-server for integration tests: free ports, a temporary directory for
 * data, tmp files and logs, and a minimal config derived from Debian's
 * /etc/clickhouse-server/{config,users}.xml (same keys, local paths, small caches, no cluster,
 * graphite or SSL sections). Set TICKFLOW_CLICKHOUSE_URL to use a server that already runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onProcessEnd } from './on-process-end.ts';

export interface ClickHouseServer {
  url: string;
  /** False for TICKFLOW_CLICKHOUSE_URL: that process is not ours to pause. */
  controllable: boolean;
  /** Stops the process and keeps its data directory: an outage. */
  pause(): Promise<void>;
  /** Starts the process again on the same ports and data directory. */
  resume(): Promise<void>;
  /** Stops the process (SIGTERM, SIGKILL after a timeout) and removes the temporary directory. */
  stop(): Promise<void>;
}

export type StartResult = ClickHouseServer | { skip: string };

export const NOT_INSTALLED = 'clickhouse-server not installed (apt-get install clickhouse-server)';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * A ClickHouse for a test file: TICKFLOW_CLICKHOUSE_URL if set; else, where a Docker engine
 * answers, the current image of docker-compose.yml through testcontainers; else Debian's
 * clickhouse-server (18.16) started here; else { skip } naming what is missing.
 */
export async function startClickHouse(): Promise<StartResult> {
  const external = process.env['TICKFLOW_CLICKHOUSE_URL'];
  if (external) return externalServer(external);
  if (process.env['TICKFLOW_CLICKHOUSE'] !== 'local' && dockerSocketPresent()) {
    const container = await startContainer();
    if (container) return container;
  }
  const command = findBinary();
  if (!command) return { skip: NOT_INSTALLED };

  const dir = await mkdtemp(join(tmpdir(), 'tickflow-clickhouse-'));
  const [http, tcp, interserver] = [await freePort(), await freePort(), await freePort()];
  await writeConfig(dir, http, tcp, interserver);
  const url = `http://127.0.0.1:${http}`;
  let child: ChildProcess | null = null;
  const cleanup = { kill: () => child?.kill('SIGKILL'), dir };
  LIVE.add(cleanup);
  guardProcess();

  const launch = async (): Promise<void> => {
    const proc = spawn(command.file, [...command.args, `--config-file=${join(dir, 'config.xml')}`], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child = proc;
    try {
      await waitReady(url, proc);
    } catch (e) {
      await terminate(proc);
      const errLog = await readFile(join(dir, 'log', 'err.log'), 'utf8').catch(() => '');
      throw new Error(`${(e as Error).message}\nstderr: ${stderr}\nerr.log: ${errLog.slice(-4000)}`);
    }
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc) await terminate(proc);
  };

  try {
    await launch();
  } catch (e) {
    LIVE.delete(cleanup);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    controllable: true,
    pause: halt,
    resume: launch,
    async stop() {
      await halt();
      LIVE.delete(cleanup);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Servers still running when the test process ends (a crash, a timeout, Ctrl-C) are killed and
 * their directories removed, so no clickhouse-server outlives its test run.
 */
const LIVE = new Set<{ kill: () => void; dir: string }>();
let guarded = false;
function guardProcess(): void {
  if (guarded) return;
  guarded = true;
  onProcessEnd(() => {
    for (const s of LIVE) {
      s.kill();
      rmSync(s.dir, { recursive: true, force: true });
    }
    LIVE.clear();
  });
}

function externalServer(url: string): ClickHouseServer {
  const refuse = (): Promise<void> => Promise.reject(new Error('cannot pause a server given by TICKFLOW_CLICKHOUSE_URL'));
  return { url, controllable: false, pause: refuse, resume: refuse, stop: () => Promise.resolve() };
}

/** Debian and old packages ship `clickhouse-server`; newer ones a single `clickhouse` binary. */
function findBinary(): { file: string; args: string[] } | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/bin'];
  for (const d of dirs) if (d && existsSync(join(d, 'clickhouse-server'))) return { file: join(d, 'clickhouse-server'), args: [] };
  for (const d of dirs) if (d && existsSync(join(d, 'clickhouse'))) return { file: join(d, 'clickhouse'), args: ['server'] };
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`clickhouse-server exited during start (code ${proc.exitCode}, signal ${proc.signalCode})`);
    }
    if ((await selectOne(url)) === '1') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`clickhouse-server did not answer SELECT 1 at ${url} within ${READY_TIMEOUT_MS} ms`);
}

/**
 * One request on its own connection (agent: false): a kept-alive socket would make the server's
 * shutdown wait for it to close (measured: 8 s instead of 2 s on 18.16).
 */
function selectOne(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = get(`${url}/?query=SELECT%201`, { agent: false, timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

async function terminate(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function writeConfig(dir: string, http: number, tcp: number, interserver: number): Promise<void> {
  for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) await mkdir(join(dir, sub));
  const config = `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/log/server.log</log>
    <errorlog>${dir}/log/err.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <interserver_http_port>${interserver}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>104857600</mark_cache_size>
  <uncompressed_cache_size>104857600</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
`;
  const users = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`;
  await writeFile(join(dir, 'config.xml'), config);
  await writeFile(join(dir, 'users.xml'), users);
}

function dockerSocketPresent(): boolean {
  return process.env['DOCKER_HOST'] !== undefined || existsSync('/var/run/docker.sock');
}

/** The docker-compose.yml ClickHouse image via testcontainers; null when no engine answers. */
async function startContainer(): Promise<ClickHouseServer | null> {
  const tc = await import('testcontainers');
  try {
    await tc.getContainerRuntimeClient();
  } catch {
    return null;
  }
  const compose = readFileSync(join(import.meta.dirname, '..', '..', 'docker-compose.yml'), 'utf8');
  const image = /\n {2}clickhouse:\n(?: {4}.*\n)*? {4}image:\s*(\S+)/.exec(compose)?.[1] ?? 'clickhouse/clickhouse-server:24.8';
  const started = await new tc.GenericContainer(image)
    .withExposedPorts(8123)
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(tc.Wait.forHttp('/ping', 8123))
    .withStartupTimeout(120_000)
    .start();
  const url = `http://${started.getHost()}:${started.getMappedPort(8123)}`;
  const notOurs = async (): Promise<void> => {
    throw new Error('a testcontainers ClickHouse is not paused by these tests');
  };
  // controllable: false → the outage test (which stops and restarts a local process) skips.
  return { url, controllable: false, pause: notOurs, resume: notOurs, stop: async () => void (await started.stop()) };
}
