// Worker-thread entry: a worker does not inherit the parent's `--import tsx` loader on Node 20,
// so it registers tsx itself (as bin/tickflow.js does) before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./fanout-worker.ts');
