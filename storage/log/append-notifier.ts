/**
 * In-process wake-ups for follow(): append() bumps a generation per (directory, topic, partition)
 * and wakes the waiters. Module-level so that two LmdbEventLog instances on one directory in one
 * process see each other's appends at once; other processes are noticed by polling.
 */
export class AppendNotifier {
  private readonly generations = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();

  static key(dir: string, topic: string, partition: number): string {
    return `${dir}\u0000${topic}\u0000${partition}`;
  }

  generation(key: string): number {
    return this.generations.get(key) ?? 0;
  }

  notify(key: string): void {
    this.generations.set(key, this.generation(key) + 1);
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  /** Wakes everyone waiting on keys starting with `prefix` (used when a log closes). */
  notifyAll(prefix: string): void {
    for (const key of [...this.waiters.keys()]) if (key.startsWith(prefix)) this.notify(key);
  }

  /**
   * Resolves once the generation moved past `since`, after `timeoutMs`, or when `signal` aborts,
   * whichever comes first. Taking `since` before checking the log closes the lost-wake-up race.
   */
  wait(key: string, since: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.generation(key) !== since || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.get(key)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(done);
    });
  }
}

export const appendNotifier = new AppendNotifier();
