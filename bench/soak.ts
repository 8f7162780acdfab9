// npm run soak [-- --kills 100] [--seed 7] [--max-delay 20] [--rows 1000000] [--parquet-rows 200000] [--import-timeout 300] [--clients 1000] [--paused 10]
//   [--group-kills 100] [--group-max-delay 30] [--group-delivery exactly-once|at-least-once] [--group-speed 60] [--group-history-days 0.25]
//   [--parts kills,group-kills,malformed,parquet,ws]
// A bounded soak of the reliability promises (docs/reliability.md), driving the CLI as a user would:
//  kills:     `start` on a fresh log (var/soak/kills-seed<seed>) (1 day of history, then live at speed 3600) SIGKILLed `kills`
//             times at seeded random moments (uniform in [0.3, max-delay] s after spawn: writing
//             history, catching up, live), then run once to its end; `verify` must then say
//             identical with the inputs complete.
//  group-kills: `run processors` on a real Kafka broker of its own, two members, one of them SIGKILLed
//             `group-kills` times at seeded random moments and restarted while `start --broker --feed-only`
//             writes; then the outputs on the topics must equal an embedded replay of the same inputs,
//             and `verify --broker` say identical with the inputs complete (bench/soak-group.ts).
//  malformed: `rows` generated malformed rows spread over every CSV import format (a valid header,
//             then rows broken in one of several ways each), each file imported into a fresh log:
//             no crash, exit 0, accepted 0 (any accepted row is reported), every row counted as
//             rejected with a reason, peak RSS of each import.
//  parquet:   malformed Parquet files (bench/soak-parquet.ts): `parquet-rows` broken rows each of trades
//             and option-chain-long (exit 0, accepted 0, every row rejected with a reason), and whole
//             files broken (truncated, cut footer, corrupt pages, wrong column names, wrong column
//             types, Parquet given to a CSV-only format): exit 2 with one line naming the file, or
//             exit 0 with every row rejected; never exit 1, a stack or a crash; peak RSS of each.
//  ws:        bench/fanout.ts in its worker mode with `clients` clients (`paused` of them paused).
// Prints one JSON object on stdout; progress on stderr. Work files in var/soak/.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Rng } from '../processors/math/rng.ts';
import { benchSay } from './say.ts';
import { parquetCases } from './soak-parquet.ts';
import { soakGroupKills } from './soak-group.ts';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    seed: { type: 'string', default: '7' },
    'max-delay': { type: 'string', default: '20' },
    rows: { type: 'string', default: '1000000' },
    'parquet-rows': { type: 'string', default: '200000' },
    'import-timeout': { type: 'string', default: '300' },
    clients: { type: 'string', default: '1000' },
    paused: { type: 'string', default: '10' },
    'group-kills': { type: 'string', default: '100' },
    'group-max-delay': { type: 'string', default: '30' },
    'group-delivery': { type: 'string', default: 'exactly-once' },
    'group-speed': { type: 'string', default: '60' },
    'group-history-days': { type: 'string', default: '0.25' },
    parts: { type: 'string', default: 'kills,group-kills,malformed,parquet,ws' },
  },
});
const parts = new Set(values.parts.split(','));
const root = join('var', 'soak');
const modelDir = join('var', 'bench', 'fanout', 'model');
const say = benchSay('soak');
const cli = (args: string[]): string[] => ['--import', 'tsx', 'cli/main.ts', ...args];
const report: Record<string, unknown> = { startedAt: new Date().toISOString(), options: values };

// The model only the kill parts need (the malformed inputs are imported, not processed).
if ((parts.has('kills') || parts.has('group-kills')) && !existsSync(join(modelDir, 'manifest.json'))) {
  say(`training the bench model in ${modelDir} (once)`);
  execFileSync(process.execPath, cli(['start', '--log', join('var', 'bench', 'fanout', 'log'), '--model', modelDir, '--history-days', '3', '--speed', '3600', '--stop-after', '10m', '--no-ws']), { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Runs a child to its end, sampling its RSS; returns exit code, stdout and peak RSS. */
async function runChild(args: string[], killAfterMs: number | null = null): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; peakRssMb: number; seconds: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  let peak = 0;
  const rss = setInterval(() => {
    try {
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
    } catch {
      /* exited */
    }
  }, 100);
  const killer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearInterval(rss);
  if (killer) clearTimeout(killer);
  return { code, signal, stdout, stderr, peakRssMb: Math.round(peak), seconds: +((performance.now() - t0) / 1000).toFixed(1) };
}

const lastJson = (s: string): Record<string, unknown> => JSON.parse(s.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

if (parts.has('kills')) {
  const dir = join(root, `kills-seed${values.seed}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'log');
  const startArgs = cli(['start', '--log', log, '--model', modelDir, '--history-days', '1', '--speed', '3600', '--stop-after', '30m', '--no-ws', '--seed', '3']);
  const rng = new Rng(Number(values.seed));
  const kills = Number(values.kills);
  const maxDelayMs = Number(values['max-delay']) * 1000;
  let killed = 0;
  let finishedBeforeKill = 0;
  const phases: Record<string, number> = {};
  const failures: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < kills; i++) {
    const delay = Math.round(300 + rng.next() * (maxDelayMs - 300));
    const r = await runChild(startArgs, delay);
    if (r.signal === 'SIGKILL') {
      killed++;
      // Where the run was when killed, from its last progress lines.
      const phase = r.stderr.includes('"event":"caught-up"') ? 'live' : r.stderr.includes('live at speed') ? 'catch-up' : r.stderr.includes('"event":"history"') ? 'after history' : 'startup or writing history';
      phases[phase] = (phases[phase] ?? 0) + 1;
    }
    else if (r.code === 0) finishedBeforeKill++;
    else failures.push(`run ${i}: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
    say(`kill ${i + 1}/${kills} at ${delay} ms: ${r.signal ?? `exit ${r.code}`} (${JSON.stringify(phases)})`);
  }
  const final = await runChild(startArgs);
  say(`final start: exit ${final.code}`);
  const verify = await runChild(cli(['verify', '--log', log, '--model', modelDir]));
  const v = verify.stdout.trim() ? lastJson(verify.stdout) : {};
  report['kills'] = {
    command: `start ${startArgs.slice(4).join(' ')}`,
    requested: kills,
    killed,
    killedIn: phases,
    finishedBeforeKill,
    failures,
    finalStartExit: final.code,
    verifyExit: verify.code,
    identical: v['identical'] ?? null,
    inputsComplete: v['inputsComplete'] ?? null,
    signals: v['signals'] ?? null,
    verifySummary: Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'inputs')),
    inputs: v['inputs'] ?? null,
    minutes: +((performance.now() - t0) / 60_000).toFixed(1),
  };
  say(`kills: ${JSON.stringify(report['kills'])}`);
}

if (parts.has('group-kills')) {
  const delivery = values['group-delivery'];
  if (delivery !== 'exactly-once' && delivery !== 'at-least-once') throw new Error(`--group-delivery must be exactly-once or at-least-once, not ${delivery}`);
  report['groupKills'] = await soakGroupKills({
    dir: join(root, `group-kills-seed${values.seed}`),
    model: modelDir,
    kills: Number(values['group-kills']),
    seed: Number(values.seed),
    maxDelayMs: Number(values['group-max-delay']) * 1000,
    delivery,
    historyDays: values['group-history-days'],
    speed: Number(values['group-speed']),
    say,
  });
  say(`group-kills: ${JSON.stringify(report['groupKills'])}`);
}

/** Malformed rows per format: each generator returns the i-th broken row. */
interface MalformedFile {
  format: string;
  header: string;
  flags: string[];
  row: (i: number) => string;
}
const T = 1782864000000;
const pick = <T>(xs: T[], i: number): T => xs[i % xs.length] as T;
const MALFORMED: MalformedFile[] = [
  {
    format: 'trades',
    header: 'timestamp,price,size,side,id,symbol',
    flags: [],
    row: (i) => pick([`${T + i},abc,1,buy,${i},BTC`, `${T + i},-5,1,buy,${i},BTC`, `${T + i},100,0,buy,${i},BTC`, `not-a-time,100,1,buy,${i},BTC`, `${T + i},NaN,1,buy,${i},BTC`, `${T + i},100,Infinity,sell,${i},BTC`, `${T + i},100,1,sideways,${i},BTC`, `${T + i},100,1`, `\u0000\u0001\u0002garbage`, `${T + i},100,1,buy,-7,BTC`], i),
  },
  {
    format: 'binance-trades',
    header: 'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match',
    flags: ['--symbol', 'BTCUSDT'],
    row: (i) => pick([`${i},x,1,1,${T + i},true,true`, `${i},-1,1,1,${T + i},true,true`, `${i},100,-2,1,${T + i},true,true`, `${i},100,1,1,yesterday,true,true`, `${i},100,1`, `${i},100,1,1,${T + i},maybe,true`, `,,,,,,`], i),
  },
  {
    format: 'binance-aggtrades',
    header: 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match',
    flags: ['--symbol', 'BTCUSDT'],
    row: (i) => pick([`${i},abc,1,1,1,${T + i},false,true`, `${i},0,1,1,1,${T + i},false,true`, `${i},100,1,1,1,--,false,true`, `${i},100`, `${i},100,NaN,1,1,${T + i},false,true`, `${i},100,1,1,1,${T + i},2,true`], i),
  },
  {
    format: 'binance-klines',
    header: 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore',
    flags: ['--symbol', 'BTCUSDT'],
    row: (i) => pick([`${T + i * 60000},a,b,c,d,1,${T + i * 60000 + 59999},1,1,1,1,0`, `${T + i * 60000},10,9,11,10,1,${T + i * 60000 + 59999},1,1,1,1,0`, `${T + i * 60000},-1,1,-2,1,1,${T + i * 60000 + 59999},1,1,1,1,0`, `x,1,1,1,1,1,y,1,1,1,1,0`, `${T},1,1`, `${T + i * 60000},1,1,1,1,-5,${T + i * 60000 + 59999},1,1,1,1,0`], i),
  },
  {
    format: 'ohlcv-csv',
    header: 'symbol,timestamp,open,high,low,close,volume',
    flags: [],
    row: (i) => pick([`XYZ,2026-07-01T13:${String(i % 60).padStart(2, '0')}:00Z,x,1,1,1,1`, `XYZ,2026-07-01T13:31:00Z,10,9,11,10,1`, `XYZ,2026-13-45T99:99:00Z,1,1,1,1,1`, `XYZ,,1,1,1,1,1`, `XYZ,2026-07-01T13:31:00Z,1,1,1`, `XYZ,2026-07-01T13:31:00Z,-1,1,-1,1,1`, `XYZ,2026-07-01T13:31:00Z,1,1,1,1,-3`], i),
  },
  {
    format: 'option-chain-long',
    header: 'timestamp,symbol,expiry,strike,option_type,spot,ltp,volume,oi,iv,delta,gamma',
    flags: ['--tz', 'Asia/Kolkata'],
    row: (i) => pick([`202608181043,NIFTY50,18-Aug-2026,abc,CE,24212.8,60.5,1000,500,12.5,0.55,0.0012`, `202608181043,NIFTY50,18-Aug-2026,24200,XX,24212.8,60.5,1000,500,12.5,0.55,0.0012`, `garbage,NIFTY50,18-Aug-2026,24200,CE,24212.8,60.5,1000,500,12.5,0.55,0.0012`, `202608181043,NIFTY50,not-a-date,24200,CE,24212.8,60.5,1000,500,12.5,0.55,0.0012`, `202608181043,NIFTY50,18-Aug-2026,-100,PE,24212.8,60.5,1000,500,12.5,0.55,0.0012`, `202608181043,NIFTY50`], i),
  },
  {
    format: 'option-chain-wide',
    header: 'datetime,symbol,underlying_price,expiry,strike,call_last,call_open_interest,call_volume,put_last,put_open_interest,put_volume',
    flags: ['--tz', 'Asia/Kolkata'],
    row: (i) => pick([`2026-08-18 10:43,NIFTY,24200,25-Aug-2026,abc,150,100,10,140,120,12`, `nonsense,NIFTY,24200,25-Aug-2026,24200,150,100,10,140,120,12`, `2026-08-18 10:43,NIFTY,24200,never,24200,150,100,10,140,120,12`, `2026-08-18 10:43,NIFTY,-5,25-Aug-2026,24200,150,100,10,140,120,12`, `2026-08-18 10:43`], i),
  },
];

if (parts.has('malformed')) {
  const dir = join(root, 'malformed');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const total = Number(values.rows);
  const per = Math.ceil(total / MALFORMED.length);
  const results: Record<string, unknown>[] = [];
  for (const m of MALFORMED) {
    const file = join(dir, `${m.format}.csv`);
    const out = createWriteStream(file);
    out.write(`${m.header}\n`);
    for (let i = 0; i < per; i++) if (!out.write(`${m.row(i)}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    const r = await runChild(cli(['ingest', '--log', join(dir, `log-${m.format}`), '--file', file, '--format', m.format, ...m.flags]));
    let summary: Record<string, unknown> = {};
    try {
      summary = lastJson(r.stdout);
    } catch {
      /* no summary: reported through exit and stderr */
    }
    const rejected = Number(summary['rowsRejected'] ?? summary['rejected'] ?? 0);
    const accepted = Number(summary['accepted'] ?? 0);
    const row = {
      format: m.format,
      rows: per,
      exit: r.code,
      signal: r.signal,
      accepted,
      rejected,
      /**
       * Every row counted: exit 0 and accepted + rejected = rows written. A wide chain row holds a
       * call and a put and is rejected per contract side, so there each row counts once or twice.
       */
      accountedFor: r.code === 0 && (m.format === 'option-chain-wide' ? accepted === 0 && rejected >= per && rejected <= 2 * per : accepted + rejected === per),
      stale: summary['stale'] ?? null,
      reasons: summary['rowReasons'] ?? summary['reasons'] ?? null,
      peakRssMb: r.peakRssMb,
      seconds: r.seconds,
      error: r.code === 0 ? null : r.stderr.trim().split('\n').slice(-1)[0]?.slice(0, 300) ?? null,
    };
    results.push(row);
    say(`malformed ${m.format}: ${JSON.stringify(row)}`);
  }
  report['malformed'] = { rows: per * MALFORMED.length, allAccountedFor: results.every((r) => r['accountedFor'] === true), accepted: results.reduce((a, r) => a + Number(r['accepted']), 0), files: results, maxPeakRssMb: Math.max(...results.map((r) => Number(r['peakRssMb']))) };
}

if (parts.has('parquet')) {
  const dir = join(root, 'parquet');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const results: Record<string, unknown>[] = [];
  for (const c of parquetCases(Number(values['parquet-rows']))) {
    const file = join(dir, `${c.name}.parquet`);
    c.write(file);
    // Bounded: an import that hangs is killed and reported (`timedOut`), not waited for.
    const r = await runChild(cli(['ingest', '--log', join(dir, `log-${c.name}`), '--file', file, '--format', c.format, ...c.flags]), Number(values['import-timeout']) * 1000);
    let summary: Record<string, unknown> = {};
    try {
      summary = lastJson(r.stdout);
    } catch {
      /* no summary: a refused file */
    }
    const accepted = Number(summary['accepted'] ?? 0) + Number(summary['contracts'] ?? 0);
    const rejected = Number(summary['rowsRejected'] ?? summary['rejected'] ?? 0);
    const lines = r.stderr.trim().split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    const refusedNamingFile = r.code === 2 && lines.length === 1 && lines[0]!.startsWith(`tickflow: ${file}`);
    const allRowsRejected = r.code === 0 && accepted === 0 && rejected === c.rows;
    results.push({
      name: c.name,
      format: c.format,
      rows: c.rows,
      exit: r.code,
      signal: r.signal,
      timedOut: r.signal === 'SIGKILL',
      accepted,
      rejected,
      accountedFor: c.expect === 'rows' ? allRowsRejected : refusedNamingFile || allRowsRejected,
      reasons: summary['rowReasons'] ?? summary['reasons'] ?? null,
      error: r.code === 0 ? null : (lines.slice(-1)[0]?.slice(0, 300) ?? null),
      peakRssMb: r.peakRssMb,
      seconds: r.seconds,
    });
    say(`parquet ${c.name}: ${JSON.stringify(results.at(-1))}`);
  }
  report['parquet'] = { allAccountedFor: results.every((r) => r['accountedFor'] === true), accepted: results.reduce((a, r) => a + Number(r['accepted']), 0), files: results, maxPeakRssMb: Math.max(...results.map((r) => Number(r['peakRssMb']))) };
}

if (parts.has('ws')) {
  const r = await runChild(['--import', 'tsx', 'bench/fanout.ts', '--modes', 'worker', '--clients', values.clients, '--paused', values.paused, '--json']);
  report['ws'] = r.code === 0 ? (JSON.parse(r.stdout.trim()) as unknown[])[0] : { exit: r.code, error: r.stderr.trim().split('\n').slice(-2).join(' | ') };
  say(`ws: ${JSON.stringify(report['ws'])}`);
}

// The verdict: a part that broke a promise fails the soak (exit 1), naming the part, so a run
// that found duplicates or a difference is never reported as a success.
const part = (name: string): Record<string, unknown> | undefined => report[name] as Record<string, unknown> | undefined;
const broken: string[] = [];
const kills = part('kills');
if (kills && !(kills['verifyExit'] === 0 && kills['identical'] === true && kills['inputsComplete'] === true && (kills['failures'] as unknown[]).length === 0)) broken.push('kills');
const group = part('groupKills');
if (group && !(group['verifyExit'] === 0 && group['identicalToReplay'] === true)) broken.push('group-kills');
for (const name of ['malformed', 'parquet']) if (part(name) && part(name)!['allAccountedFor'] !== true) broken.push(name);
if (part('ws') && 'exit' in part('ws')!) broken.push('ws');
report['broken'] = broken;
report['finishedAt'] = new Date().toISOString();
process.stdout.write(`${JSON.stringify(report)}\n`);
if (broken.length > 0) {
  say(`soak FAILED: ${broken.join(', ')} (details in the report above)`);
  process.exitCode = 1;
}
