// Worker-thread entry of ingest's Parquet decoder (parquet-chunks.ts): a worker does not inherit
// the parent's `--import tsx` loader on Node 20, so it registers tsx itself (as
// model/fold-worker-boot.mjs does) before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
const { serveParquet } = await import('./parquet-worker.ts');
await serveParquet();
