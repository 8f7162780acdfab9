import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
const t0 = performance.now();
const req = createRequire(import.meta.url);
const r = await build({
  entryPoints: [join(import.meta.dirname, '../hosts/replay/reader-worker.ts')],
  bundle: true, platform: 'node', format: 'cjs', write: false, target: 'node20',
  plugins: [{ name: 'abs-externals', setup(b) { b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('node:') ? { path: a.path, external: true } : { path: createRequire(join(a.resolveDir, 'x.js')).resolve(a.path), external: true })); } }],
});
const code = r.outputFiles[0]!.text;
const t1 = performance.now();
console.log('bundle ms', (t1 - t0).toFixed(1), 'bytes', code.length);
void req;
const w = new Worker(code + '\nmodule.exports.serveReader ? 0 : 0;', { eval: true, workerData: null });
w.on('error', (e) => console.log('err', e.message));
w.on('exit', () => console.log('exit ms', (performance.now() - t1).toFixed(1)));
