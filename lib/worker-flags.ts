/**
 * The flags of this process a worker thread of ours should have: source maps and the profilers'
 * (so a profiled run profiles its workers too). Not the module hooks (`--import tsx`, how tickflow
 * runs), which a worker otherwise inherits: every worker's boot script (`*-worker-boot.mjs`) loads
 * its modules itself, and the inherited flag registered tsx's ESM hooks a second time, with a
 * loader thread of their own, before the boot script's first line (replay's reader thread: ~155 ms
 * from the Worker's creation to that line, against ~60 without; decisions.md D175). Not V8's or
 * the process's own flags either, which a worker's execArgv refuses (ERR_WORKER_INVALID_EXEC_ARGV);
 * V8's, such as --expose-gc, hold for every thread anyway.
 */
export function workerFlags(flags: readonly string[] = process.execArgv): string[] {
  return flags.filter((f) => /^--(enable-source-maps|cpu-prof|heap-prof)/.test(f));
}
