/**
 * The page's files, read into memory once when the server starts: the page itself from
 * sinks/web/static/, and TradingView's lightweight-charts from node_modules (its standalone
 * build, which defines `window.LightweightCharts`). No CDN and no build step: the page works
 * offline and `npm start` serves it as installed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  type: string;
  body: Buffer;
}

export type PageAssets = ReadonlyMap<string, Asset>;

const STATIC = join(dirname(fileURLToPath(import.meta.url)), 'static');

export function loadPageAssets(): PageAssets {
  const require = createRequire(import.meta.url);
  const charts = join(dirname(require.resolve('lightweight-charts/package.json')), 'dist', 'lightweight-charts.standalone.production.js');
  const file = (path: string, type: string): Asset => ({ type, body: readFileSync(path) });
  const html = file(join(STATIC, 'index.html'), 'text/html; charset=utf-8');
  return new Map([
    ['/', html],
    ['/index.html', html],
    ['/assets/app.js', file(join(STATIC, 'app.js'), 'text/javascript; charset=utf-8')],
    ['/assets/position.js', file(join(STATIC, 'position.js'), 'text/javascript; charset=utf-8')],
    ['/assets/style.css', file(join(STATIC, 'style.css'), 'text/css; charset=utf-8')],
    ['/favicon.ico', file(join(STATIC, 'favicon.svg'), 'image/svg+xml')],
    ['/assets/favicon.svg', file(join(STATIC, 'favicon.svg'), 'image/svg+xml')],
    ['/assets/lightweight-charts.js', file(charts, 'text/javascript; charset=utf-8')],
  ]);
}
