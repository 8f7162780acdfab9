import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { spawnCli, tempDir } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The page in a real browser (Debian's chromium driven by playwright-core) against a real
 * `tickflow start`: history loads from the API, live bars and signals arrive over the WebSocket.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Kept after the run (var/ is git-ignored). */
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'var', 'test-artifacts');

interface PageState {
  symbol: string | null;
  loadedSymbol: string | null;
  bars: number;
  markers: number;
  liveSignals: number;
  liveBars: number;
  connected: boolean;
}

const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`;

test('the dashboard renders history, follows live signals and switches symbols in chromium', { skip, timeout: 240_000 }, async () => {
  const tmp = tempDir('tickflow-page-');
  after(() => tmp.cleanup());
  // One day of history keeps the first-run training short; speed 600 closes a 5m bar every 0.5 s.
  // (Half a day was tried for less work: its model named no contract within the minute awaited below.)
  // --allow-ungated: a one-day model usually fails its gates and would go HOLD-only; trading, its
  // BUY/SELL signals on BTC (a symbol with option chains) name a contract for the page to show.
  const child = spawnCli(['start', '--log', join(tmp.dir, 'log'), '--model', join(tmp.dir, 'model'), '--history-days', '1', '--speed', '600', '--port', '0', '--allow-ungated']);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /dashboard: http:\/\/localhost:(\d+)\//.exec(stderr);
      if (m && /caught up on/.test(stderr)) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`start exited before the dashboard was up:\n${stderr}`)));
  });

  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    // Browser-side code is given as strings: the project compiles without the DOM library.
    const state = (): Promise<PageState> => page.evaluate<PageState>('window.tickflow.state');
    const until = (condition: string, timeout = 30_000): Promise<unknown> => page.waitForFunction(`(() => { const s = window.tickflow && window.tickflow.state; return !!s && (${condition}); })()`, null, { timeout });

    // History: the first symbol's candles are on the chart.
    await until("s.loadedSymbol === 'BTC' && s.bars > 0 && s.connected");
    const loaded = await state();
    assert.ok(loaded.bars >= 200, `one day of history is about 288 bars, the chart has ${loaded.bars}`);
    // The candle canvas is drawn: many distinct colours, not an empty background.
    const colours = await page.evaluate<number>(`(() => {
      const main = [...document.querySelectorAll('#chart canvas')].sort((a, b) => b.width * b.height - a.width * a.height)[0];
      if (!main) return 0;
      const data = main.getContext('2d').getImageData(0, 0, main.width, main.height).data;
      const seen = new Set();
      for (let i = 0; i < data.length; i += 16) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size;
    })()`);
    assert.ok(colours > 20, `the chart canvas has ${colours} colours`);

    // Live: a signal arrives over the WebSocket and becomes a marker.
    await until(`s.liveSignals > 0 && s.markers > ${loaded.markers}`);

    // The latest signal explains itself: its top feature contributions, the expected move and its
    // q10–q90 band (card and the third chart pane), HOLD's reason or the open position's levels.
    await until('s.contributions.length > 0 && s.expectedPoints > 0');
    // The card and the state are read in one evaluation: two separate reads raced a live signal
    // arriving in between (CI, 2026-11-30: the card still showed the signal before the state's).
    const { why, first } = await page.evaluate<{ why: string; first: { feature: string; value: number } | undefined }>(
      "({ why: document.querySelector('#why')?.textContent ?? '', first: window.tickflow.state.contributions[0] })",
    );
    assert.ok(first && why.includes(first.feature), `#why shows ${first?.feature}: ${why}`);
    assert.match(why, /[+-]\d+\.\d{3}/);
    assert.match((await page.textContent('#band')) ?? '', /^[+-]\d+\.\d{2}% … [+-]\d+\.\d{2}%$/);
    assert.match((await page.textContent('#expected')) ?? '', /^[+-]\d+\.\d{2}%$/);
    // The signal and its card in one evaluation, like #why above.
    const { shown, signalText } = await page.evaluate<{ shown: { action: string; reason: string | null }; signalText: string }>(
      "({ shown: window.tickflow.state.lastSignal, signalText: document.querySelector('#signal')?.textContent ?? '' })",
    );
    if (shown.action === 'HOLD' && shown.reason) assert.ok(signalText.includes(shown.reason), 'HOLD shows its reason');
    // The open position (stop and target as price lines) agrees with the signals shown: a model
    // that failed its gates goes live HOLD-only, so there is none; position.js's rule has its own unit test.
    const { position, lines, positionText } = await page.evaluate<{ position: { stop: number | null; target: number | null } | null; lines: number; positionText: string }>(
      "({ position: window.tickflow.state.position, lines: window.tickflow.state.priceLines, positionText: document.querySelector('#position')?.textContent ?? '' })",
    );
    if (position === null) assert.match(positionText, /open position\s*none/);
    else assert.equal(lines, (position.stop !== null ? 1 : 0) + (position.target !== null ? 1 : 0));

    // The chosen contract of an option underlying: a live BUY/SELL on BTC names a call/put, the
    // card shows it (read in the same frame as the state, so a newer signal cannot slip between).
    // The wait itself returns the snapshot: a separate read after it raced a newer signal without a
    // contract removing the card (CI on 5492628: #contract was gone by the second evaluation).
    const cardContract = (await (
      await page.waitForFunction(
        "(() => { const s = window.tickflow && window.tickflow.state; const el = document.getElementById('contract'); return !!s && s.contract !== null && !!el && el.textContent.includes(s.contract.right) && { text: el.textContent, right: s.contract.right, strike: s.contract.strike, action: s.lastSignal.action, premium: s.contract.premium }; })()",
        null,
        { timeout: 60_000 },
      )
    ).jsonValue()) as { text: string; right: string; strike: number; action: string; premium: number };
    assert.equal(cardContract.right, cardContract.action === 'BUY' ? 'CALL' : 'PUT');
    assert.match(cardContract.text, new RegExp(`^BTC (CALL|PUT) ${cardContract.strike.toLocaleString('en-US')} exp \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\s*premium [\\d,]+\\.\\d\\d \\((mid|last)\\) · IV \\d+\\.\\d%$`));
    // /api/signals returns the contracts: only on BUY/SELL, a call for BUY and a put for SELL.
    const apiSignals = ((await (await fetch(`http://127.0.0.1:${port}/api/signals?symbol=BTC&limit=10000&provenance=false`)).json()) as { signals: { action: string; contract: { right: string; premium: number; expiry: number } | null; barEnd: number }[] }).signals;
    const named = apiSignals.filter((x) => x.contract !== null);
    assert.ok(named.length > 0, 'some BTC signals name a contract');
    for (const x of named) {
      assert.notEqual(x.action, 'HOLD');
      assert.equal(x.contract?.right, x.action === 'BUY' ? 'CALL' : 'PUT');
      assert.ok(x.contract !== null && x.contract.premium > 0 && x.contract.expiry - x.barEnd >= 86_400_000);
    }

    // The model card: gates with figures, calibration, live hit rate against validation, drift, retrain, tear sheet.
    await until('s.modelCard !== null');
    const card = await page.evaluate<{ gates: number; calibration: string | null; validationHitRate: number[] | null; tearSheet: boolean }>('window.tickflow.state.modelCard');
    assert.equal(card.gates, 4);
    const modelText = (await page.textContent('#model')) ?? '';
    assert.match(modelText, /gates(passed|FAILED)/);
    assert.match(modelText, /holdout-auc-ci-lower\s*\d\.\d{3}/);
    assert.match(modelText, /calibration(temperature|isotonic|none) · ECE \d\.\d{3} → \d\.\d{3}/);
    assert.match(modelText, /live hit rate \(BTC\)/);
    assert.match(modelText, /validation \d+\.\d%–\d+\.\d%/);
    assert.match(modelText, /retrain/);
    // Hit rate by confidence (D78): the fresh model's manifest has confidence bands and the day of
    // history has matured labels, so the card shows the per-band table (live and validation n, intervals).
    const bands = await page.evaluate<{ matured: number; validationCount: number }[] | string | null>('window.tickflow.state.modelCard.bands');
    assert.ok(Array.isArray(bands) && bands.some((b) => b.matured > 0), `bands on the card: ${JSON.stringify(bands)}`);
    assert.ok((await page.locator('#model-bands tr[data-band]').count()) > 0);
    assert.match((await page.textContent('#model-bands')) ?? '', /live · n · 95% CI.*validation · n · 95% CI/s);
    // No backtest was run beside this model: the page says so and /report answers 404 with the reason.
    assert.equal(card.tearSheet, false);
    assert.ok(await page.isVisible('#tearsheet-missing'));
    const report = await fetch(`http://127.0.0.1:${port}/report`);
    assert.equal(report.status, 404);
    assert.match(((await report.json()) as { error: string }).error, /no backtest tear sheet of model [0-9a-f]{16}/);

    // The live host's counters reach /metrics and /api/health.
    const metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const metric = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1] ?? Number.NaN);
    assert.ok(metric('tickflow_inputs_total') > 100_000, `inputs ${metric('tickflow_inputs_total')}`);
    assert.ok(metric('tickflow_signals_total') > 0);
    assert.ok(metric('tickflow_signal_latency_seconds_count') > 0, 'live signal latencies observed');
    // The fan-out worker's client count reaches this thread's registry once a second, and a page the
    // slow-reader policy dropped reconnects: await the page's connection in the gauge (one CI run
    // read 0 here once, after the page had received live signals).
    let clients = metric('tickflow_ws_clients');
    await waitFor(
      () => `tickflow_ws_clients >= 1 (last scrape: ${clients})`,
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        clients = Number(/^tickflow_ws_clients (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
        return clients >= 1;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { latencyMs: { count: number; p50: number | null }; lagMs: number | null; inputs: number };
    assert.ok(health.latencyMs.count > 0 && health.latencyMs.p50 !== null && health.lagMs !== null);
    assert.ok(health.inputs >= metric('tickflow_inputs_total'), 'health reads the same counters, later');

    // The page's link generates the tear sheet on request: the server backtests the log in a child
    // process, and live signals keep flowing meanwhile (counted before and during the generation).
    const signalsNow = async (): Promise<number> => Number(/^tickflow_signals_total (\S+)$/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1] ?? Number.NaN);
    const s0 = await signalsNow();
    const t0 = Date.now();
    // A measurement window for the rate printed below, not a wait for a condition (nothing asserts
    // the rate); the browser and the live host are busy all through it, so it is short (was 5 s).
    await new Promise((r) => setTimeout(r, 2_000));
    const s1 = await signalsNow();
    const t1 = Date.now();
    const pageLive = (await state()).liveSignals;
    await page.click('#tearsheet-generate');
    await until("s.tearSheet === 'ready' || s.tearSheet === 'failed'", 180_000);
    const t2 = Date.now();
    const s2 = await signalsNow();
    const pageLiveAfter = (await state()).liveSignals;
    const sheetState = await page.evaluate<string>('window.tickflow.state.tearSheet');
    assert.equal(sheetState, 'ready', (await page.textContent('#model')) ?? '');
    const rateBefore = (s1 - s0) / ((t1 - t0) / 1000);
    const rateDuring = (s2 - s1) / ((t2 - t1) / 1000);
    console.log(`tear sheet generated in ${((t2 - t1) / 1000).toFixed(1)} s; live signals ${rateBefore.toFixed(2)}/s before, ${rateDuring.toFixed(2)}/s during; the page received ${pageLiveAfter - pageLive} meanwhile`);
    assert.ok(s2 > s1 && pageLiveAfter > pageLive, 'live signals flowed to the log and the page during the generation');
    await until('s.modelCard !== null && s.modelCard.tearSheet === true');
    const generated = await fetch(`http://127.0.0.1:${port}/report`);
    assert.equal(generated.status, 200);
    assert.match((await generated.text()).slice(0, 2_000), /<!doctype html>/i);
    assert.ok(await page.isVisible('#tearsheet'));

    // The option panel shows the chain features of the core feature set.
    await page.waitForSelector('#options-card:not([hidden]) td', { timeout: 15_000 });
    const optionText = await page.textContent('#options');
    assert.match(optionText ?? '', /put\/call ratio \(OI\)\s*\d/);
    assert.match(optionText ?? '', /ATM IV\s*\d/);

    // The side panels filled from the API.
    assert.match((await page.textContent('#model')) ?? '', /[0-9a-f]{16}/);
    await until("/dead letters/.test(document.getElementById('health').textContent)");

    // Switching symbols reloads history and follows the other symbol.
    await page.click('nav button[data-symbol="ETH"]');
    await until("s.loadedSymbol === 'ETH' && s.bars > 0");
    assert.match((await page.textContent('#quote')) ?? '', /^ETH /);
    const liveBefore = (await state()).liveBars;
    await until(`s.liveBars > ${liveBefore}`);
    await page.click('nav button[data-symbol="BTC"]');
    await until("s.loadedSymbol === 'BTC'");

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot });
    assert.ok(existsSync(shot));
    assert.deepEqual(problems, [], 'no console errors or failed requests');
  } finally {
    await browser?.close();
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
  }
});
