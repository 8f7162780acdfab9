import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { Bar, Signal } from '../../schemas/index.ts';
import { Rng } from '../../processors/math/rng.ts';
import { evaluateGates, DEFAULT_GATES, renderTearSheet, reportSha256, runBacktest } from '../../research/backtest/index.ts';
import { bar, endOf, signal } from '../unit/backtest/fixtures.ts';

/**
 * The tear sheet in a real headless Chromium (Debian's `chromium`, driven by playwright-core): no
 * console errors, nothing fetched from the network, every chart drawn with a non-empty box, and a
 * full-page screenshot kept in test-artifacts/tear-sheet.png.
 */
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install -y chromium)`;
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

function market(): { bars: Bar[]; signals: Signal[] } {
  const rng = new Rng(11);
  const bars: Bar[] = [];
  const signals: Signal[] = [];
  for (const symbol of ['BTC', 'ETH']) {
    let price = 100;
    // 50 days of 5-minute bars: two calendar months, so the heatmap has more than one cell.
    for (let i = 0; i < 50 * 288; i++) {
      const open = price;
      price *= Math.exp(0.002 * rng.normal());
      bars.push({ ...bar(symbol, i, open, price), high: Math.max(open, price) * 1.0005, low: Math.min(open, price) * 0.9995 });
      const u = rng.next();
      if (u < 0.03) signals.push(signal(symbol, endOf(i), u < 0.016 ? 'BUY' : 'SELL'));
    }
  }
  return { bars, signals };
}

describe('tear sheet in headless Chromium', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser.close();
  });

  test('renders offline without console errors; every chart is non-empty; screenshot kept', async () => {
    const report = runBacktest({ ...market(), config: { randomDraws: 300, seed: 3 } });
    const html = renderTearSheet(report, {
      model: { modelId: 'test-model', confusion: [[50, 5, 20], [10, 30, 10], [15, 4, 60]], classes: ['UP', 'FLAT', 'DOWN'] },
      gates: evaluateGates(report.metrics, DEFAULT_GATES),
      sha256: reportSha256(report),
    });
    assert.doesNotMatch(html, /<script|https?:\/\//, 'no script, nothing fetched');
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'tear-sheet.html');
    writeFileSync(file, html);

    const page = await browser.newPage({ viewport: { width: 820, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((s) => {
        const box = s.getBoundingClientRect();
        const marks = [...s.querySelectorAll('path, rect')].filter((e) => {
          const b = (e as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          return b.width > 0 || b.height > 0;
        }).length;
        return { id: s.getAttribute('data-chart'), width: box.width, height: box.height, marks };
      }),
    );
    assert.deepEqual(charts.map((c) => c.id).sort(), ['drawdown', 'equity', 'monthly', 'pnl', 'random-entry', 'rolling-sharpe']);
    for (const c of charts) {
      assert.ok(c.width > 100 && c.height > 50, `${c.id} box ${c.width}x${c.height}`);
      assert.ok(c.marks > 0, `${c.id} draws nothing`);
    }
    assert.equal(await page.locator('table.confusion td').count(), 9);
    // The test model carries a confusion matrix only: every other manifest section says it is missing.
    assert.deepEqual(
      (await page.locator('p.na').allTextContents()).map((t) => t.replace(/^Not available: this model's manifest has no (.*)\.$/, '$1')).sort(),
      ['accuracy by confidence', 'calibration diagram', 'feature importance', 'price-regression metrics'],
    );
    await page.screenshot({ path: join(ARTIFACTS, 'tear-sheet.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
