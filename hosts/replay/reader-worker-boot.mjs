// Worker-thread entry of replay's reader thread (reader-thread.ts): a worker does not inherit the
// parent's `--import tsx` loader on Node 20, so it registers tsx itself before loading the
// TypeScript worker. tsx's CommonJS hook, not its ESM one (as model/fold-worker-boot.mjs): the
// ESM hooks run on a loader thread of their own, started for this worker, and every import of the
// worker's ~40 modules is a round trip to it; the CommonJS hook compiles in this thread. The
// replay's graph thread runs alone until this thread is ready: ~530 ms after the replay started
// with the ESM hooks, ~330-390 ms with this one (decisions.md D173). The worker's modules use
// neither import.meta nor top-level await, which CommonJS would not take.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
const { serveReader } = createRequire(import.meta.url)('./reader-worker.ts');
await serveReader();
