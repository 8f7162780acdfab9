/**
 * Small inline-SVG charts for the tear sheet: hand-written because the page must open offline as
 * one file, and a charting library inlined would be ten times the size of what is drawn here (see
 * docs/decisions.md D16). Pure string builders; numbers are printed with fixed precision so the
 * page is byte-for-byte reproducible.
 */

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
}

const W = 720;
const H = 220;
const PAD = { l: 56, r: 12, t: 24, b: 28 };

const f = (x: number): string => (Math.round(x * 10) / 10).toString();

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Every k-th point so that at most `max` remain, always keeping the last. */
export function thin<T>(xs: readonly T[], max = 1200): T[] {
  if (xs.length <= max) return [...xs];
  const k = Math.ceil(xs.length / max);
  const out: T[] = [];
  for (let i = 0; i < xs.length; i += k) out.push(xs[i] as T);
  if ((out[out.length - 1] as T) !== xs[xs.length - 1]) out.push(xs[xs.length - 1] as T);
  return out;
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 1e-9 - Math.abs(lo) * 0.01, hi + 1e-9 + Math.abs(hi) * 0.01];
  return [lo, hi];
}

function isoDay(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

function frame(id: string, body: string, title: string, height = H): string {
  return `<svg class="chart" data-chart="${id}" viewBox="0 0 ${W} ${f(height)}" role="img" aria-label="${escapeHtml(title)}">${body}</svg>`;
}

function yAxis(lo: number, hi: number, fmt: (v: number) => string): string {
  const ticks = [lo, (lo + hi) / 2, hi];
  const y = (v: number): number => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  return ticks
    .map((v) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${f(y(v))}" y2="${f(y(v))}" class="grid"/><text x="${PAD.l - 4}" y="${f(y(v) + 4)}" text-anchor="end">${escapeHtml(fmt(v))}</text>`)
    .join('');
}

/** A time-series line chart (x = epoch ms). `area` fills down to zero (for drawdowns). */
export function lineChart(id: string, title: string, series: readonly Series[], fmt: (v: number) => string, opts: { area?: boolean; zero?: boolean } = {}): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  if (opts.zero) ys.push(0);
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const x = (v: number): number => PAD.l + ((v - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const y = (v: number): number => PAD.t + (1 - (v - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  let body = yAxis(y0, y1, fmt);
  body += `<text x="${PAD.l}" y="${H - 8}">${isoDay(x0)}</text><text x="${W - PAD.r}" y="${H - 8}" text-anchor="end">${isoDay(x1)}</text>`;
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(p[0]))},${f(y(p[1]))}`).join('');
    if (opts.area) {
      const first = s.points[0] as readonly [number, number];
      const last = s.points[s.points.length - 1] as readonly [number, number];
      body += `<path d="${d}L${f(x(last[0]))},${f(y(0))}L${f(x(first[0]))},${f(y(0))}Z" fill="${s.color}" fill-opacity="0.35" stroke="${s.color}" stroke-width="1"/>`;
    } else {
      body += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`;
    }
  }
  const legend = series.map((s, i) => `<rect x="${PAD.l + 8 + i * 150}" y="4" width="10" height="10" fill="${s.color}"/><text x="${PAD.l + 22 + i * 150}" y="13">${escapeHtml(s.name)}</text>`).join('');
  return frame(id, body + legend, title);
}

/** Histogram of `values` in `bins` equal bins; `marker` draws a labelled vertical line. */
export function histogram(id: string, title: string, values: readonly number[], fmt: (v: number) => string, opts: { bins?: number; color?: string; marker?: { value: number; label: string } } = {}): string {
  const bins = opts.bins ?? 30;
  const all = opts.marker ? [...values, opts.marker.value] : [...values];
  const [lo, hi] = extent(all);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]! += 1;
  const top = Math.max(1, ...counts);
  const x = (v: number): number => PAD.l + ((v - lo) / (hi - lo)) * (W - PAD.l - PAD.r);
  const bw = (W - PAD.l - PAD.r) / bins;
  let body = yAxis(0, top, (v) => String(Math.round(v)));
  counts.forEach((c, i) => {
    if (c === 0) return;
    const h = (c / top) * (H - PAD.t - PAD.b);
    const color = opts.color ?? (lo + ((i + 0.5) / bins) * (hi - lo) < 0 ? '#c0392b' : '#2e86c1');
    body += `<rect x="${f(PAD.l + i * bw + 0.5)}" y="${f(H - PAD.b - h)}" width="${f(Math.max(1, bw - 1))}" height="${f(h)}" fill="${color}"/>`;
  });
  body += `<text x="${PAD.l}" y="${H - 8}">${escapeHtml(fmt(lo))}</text><text x="${W - PAD.r}" y="${H - 8}" text-anchor="end">${escapeHtml(fmt(hi))}</text>`;
  if (opts.marker) {
    const mx = x(opts.marker.value);
    body += `<line x1="${f(mx)}" x2="${f(mx)}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="#111" stroke-width="2" stroke-dasharray="4 2"/><text x="${f(mx > W / 2 ? mx - 6 : mx + 6)}" y="${PAD.t + 12}" text-anchor="${mx > W / 2 ? 'end' : 'start'}" font-weight="bold">${escapeHtml(opts.marker.label)}</text>`;
  }
  return frame(id, body, title);
}

/** Rows x columns grid of values coloured red (negative) to green (positive); null cells empty. */
export function heatmap(id: string, title: string, rows: readonly string[], cols: readonly string[], cells: readonly (readonly (number | null)[])[], fmt: (v: number) => string): string {
  const cw = (W - PAD.l - PAD.r) / cols.length;
  const ch = 28;
  let max = 0;
  for (const r of cells) for (const v of r) if (v !== null) max = Math.max(max, Math.abs(v));
  let body = '';
  cols.forEach((c, j) => (body += `<text x="${f(PAD.l + j * cw + cw / 2)}" y="${PAD.t + 10}" text-anchor="middle">${escapeHtml(c)}</text>`));
  rows.forEach((r, i) => {
    const y = PAD.t + 16 + i * ch;
    body += `<text x="${PAD.l - 4}" y="${f(y + ch / 2 + 4)}" text-anchor="end">${escapeHtml(r)}</text>`;
    cols.forEach((_, j) => {
      const v = cells[i]?.[j] ?? null;
      if (v === null) {
        body += `<rect x="${f(PAD.l + j * cw + 1)}" y="${f(y)}" width="${f(cw - 2)}" height="${f(ch - 2)}" fill="#f2f2f2"/>`;
        return;
      }
      const a = max === 0 ? 0 : Math.abs(v) / max;
      const color = v >= 0 ? `rgba(39,174,96,${(0.15 + 0.85 * a).toFixed(3)})` : `rgba(192,57,43,${(0.15 + 0.85 * a).toFixed(3)})`;
      body += `<rect x="${f(PAD.l + j * cw + 1)}" y="${f(y)}" width="${f(cw - 2)}" height="${f(ch - 2)}" fill="${color}"/><text x="${f(PAD.l + j * cw + cw / 2)}" y="${f(y + ch / 2 + 4)}" text-anchor="middle">${escapeHtml(fmt(v))}</text>`;
    });
  });
  return frame(id, body, title, PAD.t + 16 + rows.length * ch + 8);
}
