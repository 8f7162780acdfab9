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

const CHILDREN = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
let guarded = false;

/**
 * Kills `child` with SIGKILL when this process ends (crash, timeout, Ctrl-C), unless it was
 * released first; returns the release. One guard for every server a test or tool starts.
 */
export function killOnProcessEnd(child: { kill(signal: NodeJS.Signals): boolean }): () => void {
  if (!guarded) {
    guarded = true;
    onProcessEnd(() => {
      for (const c of CHILDREN) c.kill('SIGKILL');
      CHILDREN.clear();
    });
  }
  CHILDREN.add(child);
  return () => CHILDREN.delete(child);
}
