import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Another live process holds the log's writer lock. */
export class LogLockedError extends Error {
  readonly retriable = false;
  constructor(
    readonly dir: string,
    readonly pid: number,
    readonly holder: string,
  ) {
    super(`${dir} is being written by process ${pid} (tickflow ${holder || 'start'}); stop it first, or use another --log`);
    this.name = 'LogLockedError';
  }
}

/**
 * One writer per embedded log, for every command that appends (`start`, `ingest`, `generate`,
 * `mirror --to <dir>`): two writers on the same directory would both append the same records and
 * duplicate them. Returns the release function.
 *
 * The lock is `<dir>/writer.lock` holding the owner's pid and command. It appears whole or not at
 * all: the text is written to a file of the process's own and hard-linked to the lock's name, which
 * fails if the name exists. (Creating the lock with O_EXCL and then writing it left a moment when a
 * second writer read an empty lock, took it as stale, removed it and took the lock too: two
 * concurrent ingests both appended, seen in CI 2026-12-01.)
 *
 * A lock whose process is gone (kill -9) is stale and taken over. Breaking it is itself serialised
 * by `<dir>/writer.lock.break`, taken the same way, and removes the stale lock only if it is still
 * the very file (inode) found stale: two writers finding one stale lock cannot both take over, nor
 * can one remove the lock the other has just taken. What is left: a process killed inside the
 * break (a few microseconds) leaves a stale break, which the next writer removes; two writers doing
 * that at the same moment after such a crash are not serialised.
 */
export function acquireWriterLock(logDir: string, command: string): () => void {
  mkdirSync(logDir, { recursive: true });
  const path = join(logDir, 'writer.lock');
  const text = `${process.pid}\n${command}\n`;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const ino = publish(path, text);
    if (ino !== undefined) return () => removeIf(path, ino);
    const held = readLock(path);
    if (held === undefined) continue; // released since: try again
    if (held.pid > 0 && alive(held.pid)) throw new LogLockedError(logDir, held.pid, held.holder);
    breakStale(path, held.ino, text);
  }
  throw new Error(`could not take the writer lock ${path}: it kept changing hands`);
}

/** Publishes `text` at `path` whole if nothing is there; its inode, or undefined if `path` exists. */
function publish(path: string, text: string): number | undefined {
  const own = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    writeFileSync(own, text, { flag: 'wx' });
  } catch (e) {
    // A directory that cannot be written (permission, read-only, full): named by the lock, not by
    // the temporary name, in the one-line message (cli/failure.ts).
    if ((e as NodeJS.ErrnoException).path === own) (e as NodeJS.ErrnoException).path = path;
    throw e;
  }
  try {
    linkSync(own, path);
    return statSync(own).ino;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  } finally {
    rmSync(own, { force: true });
  }
}

interface Lock {
  pid: number;
  holder: string;
  ino: number;
}

/** The lock at `path`, or undefined if there is none. Unreadable text reads as pid 0 (stale). */
function readLock(path: string): Lock | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const [pidText = '', holder = ''] = readFileSync(fd, 'utf8').split('\n');
    const pid = Number(pidText);
    return { pid: Number.isInteger(pid) ? pid : 0, holder: holder.trim(), ino: fstatSync(fd).ino };
  } finally {
    closeSync(fd);
  }
}

/** Removes the stale lock at `path` if it is still the file `ino`, holding the break lock; waits a moment if another process holds that. */
function breakStale(path: string, ino: number, text: string): void {
  const brk = `${path}.break`;
  const mine = publish(brk, text);
  if (mine === undefined) {
    const other = readLock(brk);
    if (other !== undefined && other.pid > 0 && alive(other.pid)) pause(1);
    else if (other !== undefined) removeIf(brk, other.ino); // its breaker died mid-break
    return;
  }
  try {
    removeIf(path, ino);
  } finally {
    removeIf(brk, mine);
  }
}

/** Removes `path` if it is the file `ino` (not one another process has put there since). */
function removeIf(path: string, ino: number): void {
  try {
    if (statSync(path).ino === ino) rmSync(path, { force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
