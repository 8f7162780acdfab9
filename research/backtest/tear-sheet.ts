import type { RegressionReport } from '../../model/heads.ts';
import type { BacktestReport, EquityPoint } from './backtest-report.ts';
import type { GateVerdict } from './backtest-gates.ts';
import { escapeHtml, heatmap, histogram, lineChart, thin } from './svg-charts.ts';

/** What the model's manifest offers the tear sheet; absent parts get a "not available" section. */
export interface TearSheetModel {
  modelId: string;
  /** confusion[true][predicted], classes in `classes` order. */
  confusion?: number[][];
  classes?: readonly string[];
  /** Reliability bins: mean predicted probability and observed frequency. */
  calibration?: readonly { predicted: number; observed: number; n: number }[];
  /** Feature name -> importance. */
  featureImportance?: Readonly<Record<string, number>>;
  /** Accuracy by confidence on the model's test split (manifest `confidenceBands`). */
  confidenceBands?: {
    n: number;
    bands: readonly { from: number; to: number; count: number; share: number; hitRate: number | null; ci95: readonly [number, number] | null; baselineHitRate: number | null }[];
  };
  /** Price-regression metrics of the expected-return head on the test split (manifest `heads.test.regression`). */
  regression?: RegressionReport;
}

const pct = (v: number): string => `${(v * 100).toFixed(2)} %`;
const num = (v: number): string => (Math.abs(v) >= 1e5 ? v.toExponential(2) : v.toFixed(2));
const opt = (v: number | null | undefined, fmt: (v: number) => string): string => (v === null || v === undefined ? '—' : fmt(v));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Month-end to month-end returns of the curve (UTC months), as year rows x 12 columns. */
export function monthlyReturns(curve: readonly EquityPoint[]): { years: string[]; cells: (number | null)[][] } {
  const ends = new Map<string, number>();
  const order: string[] = [];
  for (const p of curve) {
    const d = new Date(p.t);
    const key = `${d.getUTCFullYear()}-${d.getUTCMonth()}`;
    if (!ends.has(key)) order.push(key);
    ends.set(key, p.equity);
  }
  const years = [...new Set(order.map((k) => k.split('-')[0] as string))];
  const cells = years.map(() => new Array<number | null>(12).fill(null));
  let prev = curve[0]?.equity ?? 1;
  for (const key of order) {
    const [y, m] = key.split('-').map(Number) as [number, number];
    const end = ends.get(key) as number;
    (cells[years.indexOf(String(y))] as (number | null)[])[m] = end / prev - 1;
    prev = end;
  }
  return { years, cells };
}

/** Annualised Sharpe over a trailing window of `w` period returns, one point per period from w on. */
export function rollingSharpe(curve: readonly EquityPoint[], w: number, barsPerYear: number): [number, number][] {
  const out: [number, number][] = [];
  const r: number[] = [];
  for (let i = 1; i < curve.length; i++) r.push((curve[i] as EquityPoint).equity / (curve[i - 1] as EquityPoint).equity - 1);
  for (let i = w; i <= r.length; i++) {
    let s = 0;
    for (let k = i - w; k < i; k++) s += r[k] as number;
    const mean = s / w;
    let sq = 0;
    for (let k = i - w; k < i; k++) sq += ((r[k] as number) - mean) ** 2;
    const sd = Math.sqrt(sq / w);
    out.push([(curve[i] as EquityPoint).t, sd === 0 ? 0 : (mean / sd) * Math.sqrt(barsPerYear)]);
  }
  return out;
}

function underwater(curve: readonly EquityPoint[]): [number, number][] {
  let peak = -Infinity;
  return curve.map((p) => {
    peak = Math.max(peak, p.equity);
    return [p.t, p.equity / peak - 1];
  });
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function unavailable(what: string): string {
  return `<p class="na">Not available: this model's manifest has no ${escapeHtml(what)}.</p>`;
}

function metricsTable(r: BacktestReport, gates: GateVerdict | null): string {
  const m = r.metrics;
  const re = r.randomEntry;
  const rows: [string, string, string, string][] = [
    ['Total return', pct(m.totalReturn), pct(r.buyAndHold.totalReturn), re.mean === null ? '—' : `${pct(re.mean)} ± ${pct(re.sd ?? 0)} (p = ${opt(re.pValue, (v) => v.toFixed(4))})`],
    ['Sharpe (annualised)', num(m.sharpe), num(r.buyAndHold.sharpe), ''],
    ['Max drawdown', pct(m.maxDrawdown), pct(r.buyAndHold.maxDrawdown), ''],
    ['CAGR', opt(m.cagr, pct), '', ''],
    ['Volatility (annualised)', pct(m.volatility), '', ''],
    ['Sortino', opt(m.sortino, num), '', ''],
    ['Calmar', opt(m.calmar, num), '', ''],
    ['Max drawdown duration', `${(m.maxDrawdownDurationMs / 3_600_000).toFixed(1)} h`, '', ''],
    ['Trades', String(m.trades), '', re.draws > 0 ? `${re.draws} draws, seed ${re.seed}` : ''],
    ['Orders skipped (no cash)', r.portfolio === 'shared' ? String(r.skippedOrders.length) : '— (sleeves)', '', ''],
    ['Win rate', opt(m.winRate, pct), '', ''],
    ['Profit factor', opt(m.profitFactor, num), '', ''],
    ['Expectancy per trade', opt(m.expectancy, pct), '', ''],
    ['Average win / loss', `${opt(m.avgWin, pct)} / ${opt(m.avgLoss, pct)}`, '', ''],
    ['Exposure', pct(m.exposure), '100 %', ''],
    ['Turnover (per year)', num(m.turnover), '', ''],
    ['Long ratio', opt(m.longRatio, pct), '', ''],
    ['Probabilistic Sharpe', opt(m.probabilisticSharpe, (v) => v.toFixed(4)), '', ''],
    ['Deflated Sharpe', m.deflatedSharpe === null ? `— (${m.deflatedSharpeReason ?? ''})` : `${m.deflatedSharpe.toFixed(4)} (${m.deflatedSharpeBasis ?? ''})`, '', ''],
  ];
  const body = rows.map((row) => `<tr>${row.map((c, i) => (i === 0 ? `<th>${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`).join('');
  const verdict = gates ? `<p class="${gates.passed ? 'pass' : 'fail'}">Gates ${gates.passed ? 'passed' : `failed: ${escapeHtml(gates.failed.join(', '))}`}</p>` : '';
  return `${verdict}<table class="metrics"><thead><tr><th>Metric</th><th>Strategy</th><th>Buy and hold</th><th>Random entry</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** One row per confidence band: share of test predictions, hit rate [Wilson 95%], baseline hit rate. */
function confidenceTable(model: TearSheetModel): string {
  const c = model.confidenceBands;
  if (!c || c.n === 0) return unavailable('accuracy by confidence');
  const head = '<tr><th>confidence</th><th>share</th><th>n</th><th>hit rate</th><th>95% CI (Wilson)</th><th>baseline hit rate</th></tr>';
  const rows = c.bands
    .map((b) => `<tr><th>${b.from.toFixed(2)}–${b.to.toFixed(2)}</th><td>${pct(b.share)}</td><td>${b.count}</td><td>${opt(b.hitRate, pct)}</td><td>${b.ci95 === null ? '—' : `${pct(b.ci95[0])} – ${pct(b.ci95[1])}`}</td><td>${opt(b.baselineHitRate, pct)}</td></tr>`)
    .join('');
  return `<table class="confidence" data-chart="confidence">${head}${rows}</table><p class="sub">${c.n} test-split predictions; confidence = top-class probability; baseline = the train split's most frequent class on the same rows.</p>`;
}

/** Expected-return head against persistence and drift, then the quantile band and pinball losses. */
function regressionTable(model: TearSheetModel): string {
  const g = model.regression;
  if (!g || g.n === 0) return unavailable('price-regression metrics');
  const e = (v: number): string => v.toExponential(3);
  const rows = ([['MAE (log return)', 'mae', e], ['RMSE (log return)', 'rmse', e], ['MAPE (implied price)', 'mapePrice', pct], ['Directional accuracy', 'directionalAccuracy', pct]] as const)
    .map(([label, k, fmt]) => `<tr><th>${label}</th><td>${opt(g.model[k], fmt)}</td><td>${opt(g.persistence[k], fmt)}</td><td>${opt(g.drift[k], fmt)}</td></tr>`).join('');
  const band = `<tr><th>q10–q90 coverage (nominal ${pct(g.interval.nominal)})</th><td>${pct(g.interval.coverage)}</td><td>—</td><td>${pct(g.interval.baselineCoverage)} (train quantiles)</td></tr>`;
  const pin = (['q10', 'q50', 'q90'] as const).map((q) => `<tr><th>Pinball ${q}</th><td>${e(g.pinball[q])}</td><td>—</td><td>${e(g.baselinePinball[q])} (train quantiles)</td></tr>`).join('');
  const verdict = `<p class="${g.beatsPersistence ? 'pass' : 'fail'}">The expected-return head ${g.beatsPersistence ? 'beats' : 'does not beat'} persistence (MAE and RMSE).</p>`;
  return `${verdict}<table class="regression"><thead><tr><th>Metric</th><th>Head</th><th>Persistence</th><th>Drift</th></tr></thead><tbody>${rows}${band}${pin}</tbody></table><p class="sub">${g.n} test-split rows (${g.directionalRows} with a nonzero return for direction; a zero forecast scores ½, so persistence is 50 %).</p>`;
}

function confusionTable(model: TearSheetModel): string {
  const c = model.confusion;
  if (!c || c.length === 0) return unavailable('confusion matrix');
  const classes = model.classes ?? c.map((_, i) => String(i));
  const head = `<tr><th>true \\ predicted</th>${classes.map((k) => `<th>${escapeHtml(k)}</th>`).join('')}</tr>`;
  const max = Math.max(1, ...c.flat());
  const rows = c
    .map((row, i) => `<tr><th>${escapeHtml(classes[i] ?? String(i))}</th>${row.map((v) => `<td style="background:rgba(46,134,193,${(0.08 + 0.6 * (v / max)).toFixed(3)})">${v}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="confusion" data-chart="confusion">${head}${rows}</table>`;
}

/**
 * The tear sheet: one self-contained HTML page (inline SVG and CSS, no script, nothing fetched),
 * byte-for-byte a function of the report and the model's manifest.
 */
export function renderTearSheet(r: BacktestReport, opts: { model: TearSheetModel; gates: GateVerdict | null; sha256: string }): string {
  const m = r.metrics;
  const curve = thin(r.equityCurve);
  const hold = thin(r.buyAndHold.equityCurve);
  const equity = lineChart('equity', 'Equity against buy and hold', [
    { name: 'strategy', color: '#2e86c1', points: curve.map((p) => [p.t, p.equity]) },
    { name: 'buy and hold', color: '#999999', points: hold.map((p) => [p.t, p.equity]) },
  ], (v) => v.toFixed(3));
  const dd = lineChart('drawdown', 'Underwater drawdown', [{ name: 'drawdown', color: '#c0392b', points: thin(underwater(r.equityCurve)) }], pct, { area: true, zero: true });
  const monthly = monthlyReturns(r.equityCurve);
  const heat = heatmap('monthly', 'Monthly returns', monthly.years, MONTHS, monthly.cells, (v) => `${(v * 100).toFixed(1)}%`);
  const pnl = r.trades.length > 0 ? histogram('pnl', 'Trade P&L', r.trades.map((t) => t.netReturn), pct, { bins: 40 }) : '<p class="na">No trades.</p>';
  const w = Math.max(10, Math.min(Math.round(m.barsPerYear / 365), Math.floor(m.periods / 3)));
  const rolling = m.periods > w ? lineChart('rolling-sharpe', 'Rolling Sharpe', [{ name: `rolling Sharpe (${w} bars)`, color: '#8e44ad', points: thin(rollingSharpe(r.equityCurve, w, m.barsPerYear)) }], num, { zero: true }) : '<p class="na">Too few periods for a rolling Sharpe.</p>';
  const re = r.randomEntry;
  const random = re.draws > 0
    ? histogram('random-entry', 'Random-entry returns', re.returns, pct, { bins: 40, color: '#95a5a6', marker: { value: m.totalReturn, label: `strategy ${pct(m.totalReturn)}, p = ${opt(re.pValue, (v) => v.toFixed(4))}` } })
    : '<p class="na">No random-entry draws (no trades or --draws 0).</p>';
  const calibration = opts.model.calibration && opts.model.calibration.length > 0
    ? lineChart('calibration', 'Calibration', [{ name: 'observed vs predicted', color: '#16a085', points: opts.model.calibration.map((b) => [b.predicted, b.observed]) }], (v) => v.toFixed(2))
    : unavailable('calibration diagram');
  const importance = opts.model.featureImportance && Object.keys(opts.model.featureImportance).length > 0
    ? `<table class="importance">${Object.entries(opts.model.featureImportance).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v.toFixed(4)}</td></tr>`).join('')}</table>`
    : unavailable('feature importance');
  const from = new Date(r.window.from).toISOString();
  const to = new Date(r.window.to).toISOString();
  const symbols = Object.entries(r.calendars).map(([s, c]) => `${s} (${c})`).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tickflow tear sheet ${escapeHtml(opts.model.modelId)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:760px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #ddd}
.sub{color:#666;margin:0 0 12px}svg.chart{width:100%;height:auto;display:block;background:#fff}
svg text{font-size:11px;fill:#444}svg .grid{stroke:#eee}
table{border-collapse:collapse;width:100%}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
th:first-child{text-align:left;white-space:nowrap}.metrics td:last-child{font-size:12px}.na{color:#888;font-style:italic}.pass{color:#1e8449;font-weight:bold}.fail{color:#b03a2e;font-weight:bold}
.confusion td,.confusion th{text-align:center}
</style></head><body>
<h1>Backtest tear sheet</h1>
<p class="sub">model ${escapeHtml(opts.model.modelId)} · ${escapeHtml(symbols)} · ${r.portfolio === 'shared' ? 'one shared cash account' : 'equal sleeves per symbol'} · ${escapeHtml(from)} → ${escapeHtml(to)} · ${m.periods} bars, annualised ×√${m.barsPerYear} · report sha256 ${escapeHtml(opts.sha256.slice(0, 16))}</p>
${section('Metrics beside baselines', metricsTable(r, opts.gates))}
${section('Equity against buy and hold', equity)}
${section('Underwater drawdown', dd)}
${section('Monthly returns', heat)}
${section('Trade P&L (net, per trade)', pnl)}
${section('Rolling Sharpe', rolling)}
${section('Random-entry distribution', random)}
${section('Model: calibration', calibration)}
${section('Model: confusion matrix (test split)', confusionTable(opts.model))}
${section('Model: accuracy by confidence (test split)', confidenceTable(opts.model))}
${section('Model: expected-return head as a price forecast (test split)', regressionTable(opts.model))}
${section('Model: feature importance', importance)}
</body></html>
`;
}
