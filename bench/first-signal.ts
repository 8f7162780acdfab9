// npm run bench -- first-signal [--json] [--history-days 14] [--speed 3600] [--keep]
// The first minutes of a new user: `tickflow start` on a fresh temporary log and model directory,
// spawned as a child process, timed from its spawn to its FIRST live signal (the first `signal`
// log record on its stderr: the record start writes for each live signal); then the process is
// stopped (SIGINT, a clean stop) and started again on the same log and model, and the restart is
// timed the same way. Targets (issue 14): first run <= 30 s, restart <= 5 s.
// Per phase: the arrival time of each milestone record (history written, training set, each
// model family fitted, live, caught up, checkpoint resume) relative to the spawn. CPU time of the
// child (user + system from /proc/<pid>/stat, all its threads) at the first signal is reported
// beside the wall time: on a shared machine the wall time mostly measures the wait for a core.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchSay } from './say.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'first-signal'),
  options: {
    json: { type: 'boolean', default: false },
    'history-days': { type: 'string', default: '14' },
    speed: { type: 'string', default: '3600' },
    keep: { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '900' },
  },
});
const TARGET_FIRST_MS = 30_000;
const TARGET_RESTART_MS = 5_000;
const say = benchSay('first-signal');
const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** User + system CPU seconds of a live process, all its threads (null once it is gone). */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
  } catch {
    return null;
  }
}

interface Milestone {
  atMs: number;
  what: string;
}
interface RunResult {
  firstSignalMs: number;
  cpuSecondsAtFirstSignal: number | null;
  firstSignal: Record<string, unknown>;
  milestones: Milestone[];
  exitCode: number | null;
  totalMs: number;
  result: Record<string, unknown> | null;
}

/** Which log records mark a phase (the first of each kind is kept, with its arrival time). */
function milestoneOf(r: Record<string, unknown>): string | null {
  const msg = typeof r['msg'] === 'string' ? r['msg'] : '';
  const ev = r['event'];
  if (ev === 'history') return `history written (${String(r['events'])} events)`;
  if (ev === 'caught-up') return `caught up (${String(r['inputs'])} inputs)`;
  if (ev === 'resume') return `checkpoint restored (after ${String(r['inputs'])} inputs)`;
  if (ev === 'feed-restore') return `market state restored (after ${String(r['at'])} events)`;
  if (ev === 'feed-regenerate') return `regenerating ${String(r['events'])} events of the market`;
  if (ev === 'feed-resume') return 'feed resumed on the existing log';
  if (ev === 'checkpoint-ignored') return `checkpoint ignored: ${String(r['reason'])}`;
  if (ev === 'progress') return /history/.test(msg) ? 'history: first progress' : null;
  if (msg.startsWith('model health')) return null;
  for (const prefix of ['no model in', 'training set:', 'fitting ', 'model ', 'live at speed', 'signals: HOLD only', 'the model just trained FAILED']) {
    if (msg.startsWith(prefix)) return msg.length > 100 ? `${msg.slice(0, 100)}…` : msg;
  }
  return null;
}

/** Spawns `tickflow start`, waits for its first live signal, stops it with SIGINT, waits for its exit. */
function timeToFirstSignal(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--log-format', 'json', 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const milestones: Milestone[] = [];
    const seen = new Set<string>();
    let first: { atMs: number; cpu: number | null; record: Record<string, unknown> } | null = null;
    let stdout = '';
    let buf = '';
    let tail: string[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no live signal within ${timeoutMs / 1000} s; last stderr lines:\n${tail.join('\n')}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const at = performance.now() - t0;
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        tail = [...tail.slice(-19), line];
        let r: Record<string, unknown>;
        try {
          r = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (r['event'] === 'signal' && first === null) {
          first = { atMs: at, cpu: child.pid === undefined ? null : cpuSeconds(child.pid), record: r };
          milestones.push({ atMs: round(at), what: 'first live signal' });
          child.kill('SIGINT');
          continue;
        }
        if (milestones.length === 0) milestones.push({ atMs: round(at), what: 'first log record' });
        const m = milestoneOf(r);
        if (m !== null && !seen.has(m)) {
          seen.add(m);
          milestones.push({ atMs: round(at), what: m });
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (first === null) {
        reject(new Error(`tickflow start exited (${String(code)}) before a live signal; last stderr lines:\n${tail.join('\n')}`));
        return;
      }
      let result: Record<string, unknown> | null = null;
      try {
        result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
      } catch {
        result = null;
      }
      const { symbol, action, barEnd, lagMs } = first.record;
      resolve({ firstSignalMs: round(first.atMs), cpuSecondsAtFirstSignal: first.cpu, firstSignal: { symbol, action, barEnd, lagMs }, milestones, exitCode: code, totalMs: round(performance.now() - t0), result });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'tickflow-first-signal-'));
const args = ['--log', join(dir, 'log'), '--model', join(dir, 'model'), '--history-days', values['history-days'], '--speed', values.speed, '--port', '0'];
const timeoutMs = Number(values['timeout-seconds']) * 1000;
const loadBefore = loadavg();
try {
  say(`bench first-signal: first run on a fresh log in ${dir} (${values['history-days']} days of history, speed ${values.speed})`);
  const first = await timeToFirstSignal(args, timeoutMs);
  say(`bench first-signal: first live signal after ${first.firstSignalMs} ms (CPU ${String(first.cpuSecondsAtFirstSignal)} s); restarting`);
  const restart = await timeToFirstSignal(args, timeoutMs);
  say(`bench first-signal: restart's first live signal after ${restart.firstSignalMs} ms (CPU ${String(restart.cpuSecondsAtFirstSignal)} s)`);
  const out = {
    historyDays: Number(values['history-days']),
    speed: Number(values.speed),
    cores: cpus().length,
    loadAverage1mBefore: round(loadBefore[0] ?? 0, 1),
    loadAverage1mAfter: round(loadavg()[0] ?? 0, 1),
    firstRunMs: first.firstSignalMs,
    firstRunCpuSeconds: first.cpuSecondsAtFirstSignal,
    firstRunRatio: round(first.firstSignalMs / TARGET_FIRST_MS, 2),
    firstRunTargetMs: TARGET_FIRST_MS,
    restartMs: restart.firstSignalMs,
    restartCpuSeconds: restart.cpuSecondsAtFirstSignal,
    restartRatio: round(restart.firstSignalMs / TARGET_RESTART_MS, 2),
    restartTargetMs: TARGET_RESTART_MS,
    firstRun: { ...first, result: first.result === null ? null : { inputs: first.result['inputs'], appendedInputs: first.result['appendedInputs'], liveSignals: first.result['liveSignals'] } },
    restart: { ...restart, result: restart.result === null ? null : { inputs: restart.result['inputs'], appendedInputs: restart.result['appendedInputs'], liveSignals: restart.result['liveSignals'] } },
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const phases = (r: RunResult): string => r.milestones.map((m) => `  ${String(m.atMs).padStart(8)} ms  ${m.what}`).join('\n');
    process.stdout.write(
      [
        `first run  ${out.firstRunMs} ms to the first live signal (target ${TARGET_FIRST_MS} ms, ratio ${out.firstRunRatio}), CPU ${String(out.firstRunCpuSeconds)} s`,
        phases(first),
        `restart    ${out.restartMs} ms to the first live signal (target ${TARGET_RESTART_MS} ms, ratio ${out.restartRatio}), CPU ${String(out.restartCpuSeconds)} s`,
        phases(restart),
        `load average (1 min) ${out.loadAverage1mBefore} before, ${out.loadAverage1mAfter} after, on ${out.cores} cores`,
        '',
      ].join('\n'),
    );
  }
} finally {
  if (values.keep) say(`bench first-signal: kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
