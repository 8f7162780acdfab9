// Worker-thread entry of replay's reader thread (reader-thread.ts): a worker does not inherit the
// parent's `--import tsx` loader on Node 20, so it registers tsx itself (as
// model/fold-worker-boot.mjs does) before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
const { serveReader } = await import('./reader-worker.ts');
await serveReader();
