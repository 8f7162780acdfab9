// npm run bench -- fanout [--clients 1000] [--paused 10] [--speed 300] [--market 5h] [--modes none,worker,in-process]
//   [--api-clients 0] [--api-rate 1000] [--tickflow .] [--cpu-prof DIR] [--json]
// The live pipeline (`tickflow start` on the seeded synthetic market, a copy of a cached 3-day log
// per run) with 0 and with N WebSocket clients subscribed to signals and bars on every symbol, of
// which `paused` stop reading their socket once subscribed. Reports per run: the graph's
// bar-close -> signal latency (start's own per-signal lagMs, only signals emitted once every
// client was connected and subscribed) p50/p99/max, the server's peak RSS, the frames the reading
// clients got once all were subscribed (min/max per client: equal when none lost any), and when /api/health showed the
// paused ones dropped (start's stderr is kept in var/bench/fanout/run-<mode>/start.err). Modes: none = 0 clients; worker = the default fan-out worker thread;
// in-process = `--ws-in-process` (the fan-out on the processing thread, as before).
// --api-clients N adds N page/API clients, each from its own loopback address (127.0.1.k, so each
// has its own rate-limit budget) sending `--api-rate` requests a minute (default 1,000: the HTTP
// rate limit) over a page's mix of routes (health, 5m bars at the default limit, chart signals,
// the model card, symbols, 500 1m bars, /metrics), from once the WebSocket clients are subscribed
// to the end; reported: requests by status and their latency. Like a browser, each client keeps the
// ETag of each path's last 200 and sends it as If-None-Match (a server without ETags ignores it). `--tickflow DIR` runs DIR/cli/main.ts
// (another checkout of tickflow, with its node_modules) instead of this one, for before/after runs.
// CPU per thread of `start` over the measured window (from /proc/<pid>/task/*/stat): the processing
// (main) thread, the busiest other thread (the fan-out worker when it serves clients; every thread
// is named "node", so it is picked by its CPU) and the rest. `--cpu-prof DIR` runs start under
// `node --cpu-prof --cpu-prof-dir DIR` (one .cpuprofile per thread, the worker's included).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { benchSay } from './say.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'fanout'),
  options: {
    clients: { type: 'string', default: '1000' },
    paused: { type: 'string', default: '10' },
    speed: { type: 'string', default: '300' },
    market: { type: 'string', default: '5h' },
    modes: { type: 'string', default: 'none,worker,in-process' },
    'api-clients': { type: 'string', default: '0' },
    'api-rate': { type: 'string', default: '1000' },
    tickflow: { type: 'string', default: '.' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const PAUSED = Number(values.paused);
const API_CLIENTS = Number(values['api-clients']);
const API_RATE = Number(values['api-rate']);
const dir = join('var', 'bench', 'fanout');
const baseLog = join(dir, 'log');
const modelDir = join(dir, 'model');
const say = benchSay('fanout');
const tickflowArgs = (args: string[], prof = false): string[] => [
  ...(prof && values['cpu-prof'] !== undefined ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
  '--import',
  'tsx',
  join(values.tickflow, 'cli', 'main.ts'),
  ...args,
];
/** Clock ticks per second of /proc stat times (USER_HZ: 100 on Linux). */
const TICKS = 100;
/** CPU seconds so far of each thread of a process, by thread id (utime + stime). */
function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(f[11]) + Number(f[12])) / TICKS);
    } catch {
      /* thread gone */
    }
  }
  return out;
}

if (!existsSync(join(modelDir, 'manifest.json'))) {
  say(`bench fanout: building 3 days of history and a model in ${dir} (once)`);
  execFileSync(process.execPath, tickflowArgs(['start', '--log', baseLog, '--model', modelDir, '--history-days', '3', '--speed', '3600', '--stop-after', '10m', '--no-ws']), { stdio: ['ignore', 'ignore', 'inherit'] });
}

const quantile = (xs: number[], q: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return +(s[Math.min(s.length - 1, Math.floor(q * s.length))] as number).toFixed(1);
};

interface RunResult {
  mode: string;
  clients: number;
  paused: number;
  signalsMeasured: number;
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  peakRssMb: number;
  connectSeconds: number | null;
  /** Clients closed by the server before they had subscribed. */
  failedClients: number;
  /** Reading clients closed by the server while live, by close code. */
  readersDropped: Record<number, number>;
  framesPerReader: { min: number; max: number } | null;
  pausedDroppedAfterS: number | null;
  health: Record<string, unknown> | null;
  /** Page/API requests sent while measuring, by status, and their latency (ms). */
  api: { clients: number; requests: number; byStatus: Record<string, number>; errors: number; latencyMs: { p50: number | null; p99: number | null; max: number | null } } | null;
  /** CPU seconds of start's threads over the measured window: processing thread, busiest other thread (the worker), the rest. */
  cpuSeconds: { window: number; main: number; busiestOther: number; rest: number } | null;
  loadAvg1m: number;
}

/** Page/API clients at a fixed rate each, from their own loopback addresses, until stop() is called. */
function hammerApi(port: number, clients: number, perMinute: number): { stop: () => Promise<RunResult['api']> } {
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let stopped = false;
  const interval = 60_000 / perMinute;
  const one = (agent: Agent, localAddress: string, path: string, etags: Map<string, string>, setGone: () => void): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const known = etags.get(path);
      const req = httpRequest({ host: '127.0.0.1', port, path, agent, localAddress, headers: known !== undefined ? { 'if-none-match': known } : {} }, (res) => {
        const etag = res.headers.etag;
        if (res.statusCode === 200 && etag !== undefined) etags.set(path, etag);
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          byStatus[String(res.statusCode)] = (byStatus[String(res.statusCode)] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        // Refused: the server has closed at the end of the run; this client stops.
        if (e.code === 'ECONNREFUSED') setGone();
        else errors++;
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: clients }, async (_, k) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: `127.0.1.${k + 1}` });
    const localAddress = `127.0.1.${k + 1}`;
    let symbols = ['BTC'];
    try {
      const r = (await (await fetch(`http://127.0.0.1:${port}/api/symbols`)).json()) as { symbols: { symbol: string }[] };
      if (r.symbols.length > 0) symbols = r.symbols.map((x) => x.symbol);
    } catch {
      /* keep BTC */
    }
    let i = 0;
    let next = performance.now();
    let gone = false;
    const etags = new Map<string, string>();
    while (!stopped && !gone) {
      const sym = symbols[i % symbols.length]!;
      const routes = ['/api/health', `/api/bars?symbol=${sym}&interval=5m`, `/api/signals?symbol=${sym}&fields=chart`, '/api/model', '/api/symbols', `/api/bars?symbol=${sym}&interval=1m&limit=500`, '/metrics'];
      await one(agent, localAddress, routes[i % routes.length]!, etags, () => (gone = true));
      i++;
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else next = performance.now(); // behind: no burst to catch up
    }
    agent.destroy();
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return { clients, requests: latencies.length, byStatus, errors, latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1) } };
    },
  };
}

async function run(mode: 'none' | 'worker' | 'in-process'): Promise<RunResult> {
  const runLog = join(dir, `run-${mode}`, 'log');
  rmSync(join(dir, `run-${mode}`), { recursive: true, force: true });
  cpSync(baseLog, runLog, { recursive: true });
  const n = mode === 'none' ? 0 : CLIENTS;
  const args = ['start', '--log', runLog, '--model', modelDir, '--speed', values.speed, '--stop-after', values.market, '--port', '0', '--max-clients', String(CLIENTS + 100)];
  if (mode === 'in-process') args.push('--ws-in-process');
  const child = spawn(process.execPath, tickflowArgs(args, true), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const signals: { at: number; lagMs: number }[] = [];
  let port = 0;
  let portSeen: () => void = () => undefined;
  const portReady = new Promise<void>((resolve) => (portSeen = resolve));
  let buf = '';
  const errLog = createWriteStream(join(dir, `run-${mode}`, 'start.err'));
  child.stderr.on('data', (d: Buffer) => {
    errLog.write(d);
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let rec: { msg?: string; event?: string; lagMs?: number };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        continue;
      }
      const m = /dashboard: http:\/\/[^:]+:(\d+)\//.exec(rec.msg ?? '');
      if (m) {
        port = Number(m[1]);
        portSeen();
      }
      if (rec.event === 'signal' && typeof rec.lagMs === 'number') signals.push({ at: performance.now(), lagMs: rec.lagMs });
    }
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  let peakRss = 0;
  // Per-thread CPU: the sample when measuring starts, and each thread's latest reading while start
  // still runs (a thread that ends before the process, like the worker at shutdown, keeps its last).
  let cpuFrom: { at: number; cpu: Map<number, number> } | null = null;
  let cpuLast: { at: number; cpu: Map<number, number> } | null = null;
  const rssTimer = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
    } catch {
      /* exited */
    }
    if (child.exitCode === null && child.pid !== undefined) {
      const cpu = threadCpu(child.pid);
      if (cpu.size > 0) cpuLast = { at: performance.now(), cpu: new Map([...(cpuLast?.cpu ?? []), ...cpu]) };
    }
  }, 250);
  const startCpuWindow = (): void => {
    if (child.pid !== undefined) cpuFrom = { at: performance.now(), cpu: threadCpu(child.pid) };
  };

  await Promise.race([portReady, exited]);
  const sockets: WebSocket[] = [];
  const frames: number[] = [];
  const ok: boolean[] = [];
  let measureFrom = performance.now();
  let connectSeconds: number | null = null;
  let failedClients = 0;
  /** Reading (not paused) clients the server closed during the run, by close code (1006: terminated, 1013: slow consumer); 1001 at shutdown is not counted. */
  const readersDropped: Record<number, number> = {};
  let pausedDroppedAfterS: number | null = null;
  let health: Record<string, unknown> | null = null;
  const healthOf = async (): Promise<Record<string, unknown> | null> => {
    try {
      return (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  if (n > 0 && port > 0) {
    const t0 = performance.now();
    // Connect in batches of 50 so the handshakes do not all queue at once.
    for (let b = 0; b < n; b += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, n - b) }, (_, k) => {
          const idx = b + k;
          return new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
            sockets[idx] = ws;
            frames[idx] = 0;
            let subscribed = 0;
            ws.on('error', () => undefined);
            ws.once('unexpected-response', (_req, res) => reject(new Error(`client ${idx}: HTTP ${res.statusCode}`)));
            // A client the server cut before it subscribed (handshake timeout on a starved machine) is counted, not awaited.
            ws.once('close', (code) => {
              if (subscribed < 2) {
                failedClients++;
                resolve();
              } else if (idx >= PAUSED && code !== 1001 && child.exitCode === null) readersDropped[code] = (readersDropped[code] ?? 0) + 1;
            });
            ws.on('message', (data) => {
              const text = (data as Buffer).toString();
              if (text.startsWith('{"type":"subscribed"')) {
                if (++subscribed === 2) {
                  ok[idx] = true;
                  resolve();
                }
                return;
              }
              frames[idx]!++;
            });
            ws.once('open', () => {
              ws.send('{"op":"subscribe","channel":"signals"}');
              ws.send('{"op":"subscribe","channel":"bars"}');
            });
          });
        }),
      );
    }
    connectSeconds = +((performance.now() - t0) / 1000).toFixed(1);
    measureFrom = performance.now();
    startCpuWindow();
    frames.fill(0); // count what every reader got from the moment all were subscribed
    for (let p = 0; p < PAUSED; p++) sockets[p]!.pause();
    say(`bench fanout ${mode}: ${n} clients subscribed in ${connectSeconds} s, ${PAUSED} paused`);
    const pausedAt = performance.now();
    const watch = async (): Promise<void> => {
      while (child.exitCode === null) {
        const h = await healthOf();
        if (h && Number(h['wsDropped']) >= PAUSED && pausedDroppedAfterS === null) {
          pausedDroppedAfterS = +((performance.now() - pausedAt) / 1000).toFixed(1);
          health = h;
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    void watch();
  }
  let hammer: { stop: () => Promise<RunResult['api']> } | null = null;
  if (API_CLIENTS > 0 && port > 0 && child.exitCode === null) {
    if (n === 0) {
      measureFrom = performance.now();
      startCpuWindow();
    }
    hammer = hammerApi(port, API_CLIENTS, API_RATE);
    say(`bench fanout ${mode}: ${API_CLIENTS} page/API clients at ${API_RATE} requests a minute each`);
  }
  if (cpuFrom === null && port > 0) startCpuWindow();
  const code = await exited;
  const api = hammer ? await hammer.stop() : null;
  clearInterval(rssTimer);
  for (const ws of sockets) ws.terminate();
  if (code !== 0) throw new Error(`start (${mode}) exited with ${code}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { liveSignals?: number };
  const measured = signals.filter((s) => s.at >= measureFrom).map((s) => s.lagMs);
  const readers = frames.filter((_, i) => i >= PAUSED && ok[i] === true);
  say(`bench fanout ${mode}: ${measured.length} of ${summary.liveSignals ?? '?'} live signals measured`);
  let cpuSeconds: RunResult['cpuSeconds'] = null;
  const from = cpuFrom as { at: number; cpu: Map<number, number> } | null;
  const last = cpuLast as { at: number; cpu: Map<number, number> } | null;
  if (from !== null && last !== null && child.pid !== undefined) {
    const used = [...last.cpu].map(([tid, s]) => [tid, s - (from.cpu.get(tid) ?? 0)] as const);
    const main = used.find(([tid]) => tid === child.pid)?.[1] ?? 0;
    const others = used.filter(([tid]) => tid !== child.pid).map(([, s]) => s).sort((a, b) => b - a);
    const r2 = (x: number): number => +x.toFixed(2);
    cpuSeconds = { window: r2((last.at - from.at) / 1000), main: r2(main), busiestOther: r2(others[0] ?? 0), rest: r2(others.slice(1).reduce((a, b) => a + b, 0)) };
  }
  return {
    mode,
    clients: n,
    paused: n > 0 ? PAUSED : 0,
    signalsMeasured: measured.length,
    latencyMs: { p50: quantile(measured, 0.5), p99: quantile(measured, 0.99), max: quantile(measured, 1) },
    peakRssMb: Math.round(peakRss),
    connectSeconds,
    failedClients,
    readersDropped,
    framesPerReader: readers.length > 0 ? { min: Math.min(...readers), max: Math.max(...readers) } : null,
    pausedDroppedAfterS,
    health: health === null ? null : { wsClients: (health as Record<string, unknown>)['wsClients'], wsDropped: (health as Record<string, unknown>)['wsDropped'] },
    api,
    cpuSeconds,
    loadAvg1m: +(loadavg()[0] ?? 0).toFixed(2),
  };
}

const results: RunResult[] = [];
for (const mode of values.modes.split(',') as ('none' | 'worker' | 'in-process')[]) {
  say(`bench fanout: ${mode} (speed ${values.speed}, ${values.market} of market)`);
  results.push(await run(mode));
}
if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
else
  for (const r of results)
    process.stdout.write(
      `${r.mode.padEnd(10)} clients ${String(r.clients).padStart(4)} (${r.paused} paused)  latency p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  max ${r.latencyMs.max} ms  (${r.signalsMeasured} signals)  peak RSS ${r.peakRssMb} MB` +
        (r.clients > 0 ? `  failed ${r.failedClients}  readers dropped ${JSON.stringify(r.readersDropped)}  frames/reader ${r.framesPerReader?.min}-${r.framesPerReader?.max}  paused dropped after ${r.pausedDroppedAfterS ?? 'never'} s  health ${JSON.stringify(r.health)}` : '') +
        (r.api ? `  api ${r.api.clients} clients ${r.api.requests} requests ${JSON.stringify(r.api.byStatus)} errors ${r.api.errors} latency p50 ${r.api.latencyMs.p50} p99 ${r.api.latencyMs.p99} max ${r.api.latencyMs.max} ms` : '') +
        (r.cpuSeconds ? `  cpu s over ${r.cpuSeconds.window} s: main ${r.cpuSeconds.main} busiest other (worker) ${r.cpuSeconds.busiestOther} rest ${r.cpuSeconds.rest}` : '') +
        `  load ${r.loadAvg1m}\n`,
    );
