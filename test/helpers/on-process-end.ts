/**
 * Runs `cleanup` when the test process ends, by exit or by SIGINT/SIGTERM/SIGHUP (a crash, a
 * timeout, Ctrl-C), so no server a test started outlives it. After a signal the process still
 * dies by it, as it would have without this handler, unless someone else handles it.
 */
export function onProcessEnd(cleanup: () => void): void {
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanup();
      process.off(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
