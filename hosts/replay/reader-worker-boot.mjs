// Worker-thread entry of replay's reader thread (reader-thread.ts). The reader's ~40 modules are
// TypeScript; loaded through tsx they made the thread ready only ~260-420 ms after the replay
// started (tsx transforms and Node compiles them one by one; until then the graph's thread reads
// for itself, at the one-thread rate). So this thread first bundles them into one CommonJS script
// with esbuild (the transform tsx itself runs on) and runs that (decisions.md D175); packages stay
// outside it, required from this directory. Here, not in the graph's thread: esbuild answers on
// the event loop of the thread that asked, and the graph's thread turns its loop only between
// slices of its head start. If the bundle cannot be made or run, tsx's CommonJS hook loads the
// modules (its ESM hooks would run on a loader thread of their own, a round trip per import). The
// worker's modules use neither import.meta nor top-level await, which CommonJS would not take.
// The process's `--import tsx` does not reach this thread (lib/worker-flags.ts).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runInThisContext } from 'node:vm';
import { workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const entry = fileURLToPath(new URL('./reader-worker.ts', import.meta.url));

async function bundled() {
  const { build, stop } = await import('esbuild');
  let r;
  try {
    r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', write: false, logLevel: 'silent' });
  } finally {
    // esbuild's service process is not needed again: its memory goes now, not at the replay's end.
    void stop();
  }
  if (r.warnings.length > 0) throw new Error(r.warnings.map((w) => w.text).join('; '));
  const module = { exports: {} };
  runInThisContext(`(function (exports, require, module) {${r.outputFiles[0].text}\n})`, { filename: entry.replace(/\.ts$/, '.bundle.js') })(module.exports, require, module);
  return module.exports;
}

let serveReader;
let boot = 'bundle';
if (workerData.boot !== 'tsx') serveReader = await bundled().then((m) => m.serveReader, () => undefined);
if (serveReader === undefined) {
  const { register } = await import('tsx/cjs/api');
  register();
  ({ serveReader } = require('./reader-worker.ts'));
  boot = 'tsx';
}
await serveReader(boot);
