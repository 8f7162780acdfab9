// npm run bench -- page [--json]
// The dashboard with two weeks of 5-minute history: first render in Debian's chromium (navigation
// start to the history drawn, median of 5 loads), the API calls behind it, and what 50 open pages
// cost the server (RSS before/after 50 clients that make the page's requests and keep its
// WebSocket subscription open). The log is built once by `tickflow start` and cached in var/bench/page.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { benchSay } from './say.ts';

const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== 'page'), options: { json: { type: 'boolean', default: false }, pages: { type: 'string', default: '50' } } });
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const dir = join('var', 'bench', 'page');
const logDir = join(dir, 'log');
const modelDir = join(dir, 'model');
const say = benchSay('page');

if (!existsSync(join(modelDir, 'manifest.json'))) {
  say(`bench page: building 14 days of history, a model and 30 live minutes in ${dir} (once)`);
  execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start', '--log', logDir, '--model', modelDir, '--history-days', '14', '--speed', '3600', '--stop-after', '30m', '--no-ws'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/page-server.ts', logDir, modelDir], { stdio: ['ignore', 'pipe', 'inherit'] });
// The server's stdout, one JSON object a line: first its port, then one per SIGUSR2 (memory after a full GC).
const lines: string[] = [];
let waiting: ((line: string) => void) | null = null;
let out = '';
child.stdout.on('data', (d: Buffer) => {
  out += d.toString();
  let nl: number;
  while ((nl = out.indexOf('\n')) >= 0) {
    const line = out.slice(0, nl);
    out = out.slice(nl + 1);
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(line);
    } else lines.push(line);
  }
});
const nextLine = (): Promise<string> => {
  const queued = lines.shift();
  if (queued !== undefined) return Promise.resolve(queued);
  return new Promise((resolve, reject) => {
    waiting = resolve;
    child.once('exit', () => reject(new Error('page server exited')));
  });
};
const port = (JSON.parse(await nextLine()) as { port: number }).port;
const afterGc = async (): Promise<{ rssMb: number; heapUsedMb: number }> => {
  child.kill('SIGUSR2');
  return JSON.parse(await nextLine()) as { rssMb: number; heapUsedMb: number };
};
const base = `http://127.0.0.1:${port}`;
const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  // The API calls of one page load, timed from here (server side + transfer, no browser).
  const api = async (path: string): Promise<{ ms: number; bytes: number; body: Record<string, unknown> }> => {
    const t = performance.now();
    const text = await (await fetch(base + path)).text();
    return { ms: performance.now() - t, bytes: text.length, body: JSON.parse(text) as Record<string, unknown> };
  };
  await api('/api/symbols'); // warm-up
  const bars = await api('/api/bars?symbol=BTC&interval=5m&limit=4032');
  const signals = await api('/api/signals?symbol=BTC&limit=4032');
  const chartSignals = await api('/api/signals?symbol=BTC&limit=4032&fields=chart');
  const model = await api('/api/model?symbol=BTC');
  say(`bench page: ${String(bars.body['count'])} bars, ${String(signals.body['count'])} signals in the page's history`);

  let firstRenderMs: number[] = [];
  if (existsSync(CHROMIUM)) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      for (let i = 0; i < 5; i++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
        await page.goto(`${base}/?symbol=BTC`);
        // The page-side mark: performance.mark('tickflow:candles-drawn'), relative to navigation start.
        await page.waitForFunction("performance.getEntriesByName('tickflow:candles-drawn').length > 0", null, { timeout: 30_000 });
        firstRenderMs.push(await page.evaluate<number>("performance.getEntriesByName('tickflow:candles-drawn')[0].startTime"));
        await page.close();
      }
    } finally {
      await browser.close();
    }
  } else {
    say(`bench page: no chromium at ${CHROMIUM}; first render not measured`);
    firstRenderMs = [];
  }

  // 50 pages: each makes the page's requests and keeps a WebSocket subscribed to one symbol.
  const n = Number(values.pages);
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssMb();
  const beforeGc = await afterGc();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i++) {
    const symbol = i % 2 ? 'ETH' : 'BTC';
    await Promise.all([api('/api/symbols'), api(`/api/model?symbol=${symbol}`), api('/api/health'), api(`/api/bars?symbol=${symbol}&interval=5m&limit=4032`), api(`/api/signals?symbol=${symbol}&limit=4032&fields=chart`), api(`/api/signals?symbol=${symbol}&limit=1&provenance=false`), api(`/api/features?symbol=${symbol}&limit=288&names=pcr_oi,pcr_volume,max_pain_dist,atm_iv`)]);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ op: 'subscribe', channel: 'bars', symbols: [symbol] }));
    ws.send(JSON.stringify({ op: 'subscribe', channel: 'signals', symbols: [symbol] }));
    sockets.push(ws);
  }
  const peak = rssMb();
  await new Promise((r) => setTimeout(r, 3000));
  const settled = rssMb();
  const settledGc = await afterGc();
  for (const ws of sockets) ws.close();

  const result = {
    bars: bars.body['count'],
    signals: signals.body['count'],
    apiBarsMs: Math.round(bars.ms),
    apiBarsKb: Math.round(bars.bytes / 1024),
    apiSignalsMs: Math.round(signals.ms),
    apiSignalsKb: Math.round(signals.bytes / 1024),
    apiSignalsChartMs: Math.round(chartSignals.ms),
    apiSignalsChartKb: Math.round(chartSignals.bytes / 1024),
    apiModelMs: Math.round(model.ms),
    apiModelKb: Math.round(model.bytes / 1024),
    firstRenderMsMedian: firstRenderMs.length ? Math.round(median(firstRenderMs)) : null,
    firstRenderMs: firstRenderMs.map(Math.round),
    pages: n,
    serverRssBeforeMb: Math.round(before),
    serverRssAfterLoadsMb: Math.round(peak),
    serverRssSettledMb: Math.round(settled),
    serverRssAddedMb: Math.round(settled - before),
    /** The same after a full GC on both sides: what the open pages keep, not garbage not yet collected. */
    serverRssAddedAfterGcMb: Math.round(settledGc.rssMb - beforeGc.rssMb),
    serverHeapAddedAfterGcMb: Math.round(settledGc.heapUsedMb - beforeGc.heapUsedMb),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    process.stdout.write(
      [
        `history                 ${String(result.bars)} 5m bars, ${String(result.signals)} signals (BTC)`,
        `/api/bars               ${result.apiBarsMs} ms, ${result.apiBarsKb} KB`,
        `/api/signals            ${result.apiSignalsMs} ms, ${result.apiSignalsKb} KB`,
        `/api/signals chart      ${result.apiSignalsChartMs} ms, ${result.apiSignalsChartKb} KB (fields=chart, what the page asks)`,
        `/api/model (card)       ${result.apiModelMs} ms, ${result.apiModelKb} KB`,
        `first render (chromium) ${result.firstRenderMsMedian ?? '—'} ms median of ${result.firstRenderMs.join(', ')} (navigation start to history drawn)`,
        `server RSS              ${result.serverRssBeforeMb} MB before, ${result.serverRssAfterLoadsMb} MB right after ${n} page loads, ${result.serverRssSettledMb} MB 3 s later with ${n} WebSockets open (+${result.serverRssAddedMb} MB)`,
        `after a full GC         RSS +${result.serverRssAddedAfterGcMb} MB, heap +${result.serverHeapAddedAfterGcMb} MB with ${n} WebSockets open`,
        '',
      ].join('\n'),
    );
} finally {
  child.kill('SIGTERM');
}
