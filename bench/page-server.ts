// The dashboard server alone over an existing embedded log (no live feed), for bench/page.ts:
// prints {"port":N} on stdout once it listens; stops on SIGTERM; SIGUSR2 collects garbage and prints memory.
import { openLog } from '../cli/log-access.ts';
import { startDashboardServer } from '../cli/dashboard-server.ts';

const [logDir, modelDir] = process.argv.slice(2);
if (!logDir || !modelDir) throw new Error('usage: page-server.ts <log dir> <model dir>');
const access = await openLog(logDir);
const server = await startDashboardServer({ access, source: { log: logDir }, port: 0, host: '127.0.0.1', token: '', modelDir, role: 'start' });
const addr = server.server?.address();
process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
// SIGUSR2: a full garbage collection (run with --expose-gc), then one line {"rssMb","heapUsedMb"}.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rssMb: m.rss / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20, gc: gc !== undefined })}\n`);
});
process.once('SIGTERM', () => {
  void server.close().then(() => access.close()).then(() => process.exit(0));
});
