import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

const ROOT = join(import.meta.dirname, '..', '..');

/** True when this process runs the compiled modules `npm test` writes (test/compile.ts), false through tsx. */
const COMPILED_RUN = import.meta.url.endsWith('.compiled.js');

/** The module to load for the TypeScript file `tsFile` in this process: its compiled sibling under `npm test`, else itself. */
export function runnable(tsFile: string): string {
  return COMPILED_RUN ? tsFile.replace(/\.ts$/, '.compiled.js') : tsFile;
}

/**
 * The node arguments that run the TypeScript module `tsFile` (an absolute path) the way this
 * process runs: its compiled sibling under `npm test` (test/compile.ts, decisions D167), through
 * tsx otherwise (a file run alone with `node --import tsx --test`).
 */
export function nodeEntry(tsFile: string): string[] {
  return COMPILED_RUN ? [runnable(tsFile)] : ['--import', 'tsx', tsFile];
}

/** Starts `tickflow <args>` as a child process (the real CLI: compiled under `npm test`, through tsx otherwise). */
export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [...nodeEntry(join(ROOT, 'cli', 'main.ts')), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `tickflow <args>` to completion; parses the last stdout line as the JSON result. */
export function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        // left empty: the test's assertions on json will say what was missing
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A small model of a synthetic feed's market (same seed), through the CLI: `generate` 0.4 days,
 * `replay dataset`, `train --seed 1 --epochs 2` into `model`. Work files go under `dir`.
 */
export async function trainFeedModel(dir: string, model: string, seed: string): Promise<void> {
  const log = join(dir, 'train-log');
  const csv = join(dir, 'train.csv');
  for (const args of [['generate', '--out', log, '--days', '0.4', '--seed', seed], ['replay', 'dataset', '--log', log, '--out', csv], ['train', '--dataset', csv, '--out', model, '--seed', '1', '--epochs', '2']]) {
    const r = await runCli(args);
    if (r.code !== 0) throw new Error(`tickflow ${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr}`);
  }
}
