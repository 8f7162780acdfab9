// Worker-thread entry of the out-of-fold helper (model/fold-helper.ts): a worker does not inherit
// the parent's `--import tsx` loader on Node 20, so it registers tsx itself (as
// sinks/ws/fanout-worker-boot.mjs does) before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./fold-worker.ts');
