/**
 * The page and its HTTP API in the fan-out worker thread (loaded by sinks/ws/fanout-worker.ts
 * through IsolatedSignalServer's `httpWorker`): the same handler as on the processing thread
 * (cli/dashboard-server.ts pageHandler) over the worker's own read-only view of the log. The
 * embedded log is opened read-only beside the processing thread's writer (lmdb readers in other
 * threads see every committed append); on Kafka the worker has its own client. The health body
 * and the /metrics text live on the processing thread and come through `ask`.
 */
import type { AskKind } from '../sinks/ws/fanout-protocol.ts';
import { pageHandler, type PageWorkerData } from './dashboard-server.ts';
import { openLogFrom } from './log-access.ts';

export async function createHttpHandler(data: unknown, ask: (what: AskKind) => Promise<unknown>): Promise<{ handler: ReturnType<typeof pageHandler>; close: () => Promise<void> }> {
  const d = data as PageWorkerData;
  const access = await openLogFrom(d.source, { readOnly: true });
  const handler = pageHandler({
    log: access,
    token: d.token,
    modelDir: d.modelDir,
    ...(d.backtestSource !== undefined ? { backtestSource: d.backtestSource } : {}),
    ...(d.rateLimit !== undefined ? { rateLimit: d.rateLimit } : {}),
    ...(d.globalRateLimit !== undefined ? { globalRateLimit: d.globalRateLimit } : {}),
    health: async () => (await ask('health')) as object,
    metricsText: async () => String(await ask('metrics')),
  });
  return { handler, close: () => access.close() };
}
