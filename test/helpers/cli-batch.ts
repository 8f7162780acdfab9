// Many `tickflow` runs in ONE process (docs/testing.md, "CLI runs in one process"). Each start of
// `node --import tsx cli/main.ts` costs about 0.6 CPU s (tsx, zod, pino) before the command does
// anything; a test of 80 one-line usage errors spent nearly all its time starting processes.
//
// runCliBatch(cases) starts this file once as a child process; the child runs the cases one after
// another through cli/run.ts's runTickflow (what cli/main.ts runs for the process's arguments) and
// records, per case, what it wrote to stdout, what it wrote to stderr (plain writes and the CLI
// logger's lines) and the exit code runTickflow returned (cli/main.ts sets it as the process's).
// Tests that need the process edge itself (exit status, signals, output at exit) keep spawnCli/runCli.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DestinationStream } from 'pino';
import { nodeEntry, runnable, tempDir, type CliResult } from './cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SELF = fileURLToPath(import.meta.url);

function parseLast(stdout: string): Record<string, unknown> {
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Runs `tickflow <args>` for every entry of `cases`, in order, in one child process (cwd: the repository). */
export async function runCliBatch(cases: string[][]): Promise<CliResult[]> {
  const tmp = tempDir('tickflow-cli-batch-');
  try {
    const input = join(tmp.dir, 'cases.json');
    const output = join(tmp.dir, 'results.json');
    writeFileSync(input, JSON.stringify(cases));
    const child = spawn(process.execPath, [...nodeEntry(SELF.replace(/\.compiled\.js$/, '.ts')), input, output], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let outside = '';
    child.stdout.on('data', (d: Buffer) => (outside += d.toString()));
    child.stderr.on('data', (d: Buffer) => (outside += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`the CLI batch process exited ${code}: ${outside}`);
    const results = JSON.parse(readFileSync(output, 'utf8')) as { code: number; stdout: string; stderr: string }[];
    // Anything the child printed outside the cases (a warning at start, output after the last case).
    if (outside !== '') throw new Error(`the CLI batch process wrote outside its cases: ${outside}`);
    return results.map((r) => ({ ...r, json: parseLast(r.stdout) }));
  } finally {
    tmp.cleanup();
  }
}

/** The child: node --import tsx test/helpers/cli-batch.ts <cases.json> <results.json>. */
async function child(input: string, output: string): Promise<void> {
  const { runTickflow } = (await import(pathToFileURL(runnable(join(ROOT, 'cli', 'run.ts'))).href)) as typeof import('../../cli/run.ts');
  const cases = JSON.parse(readFileSync(input, 'utf8')) as string[][];
  const results: { code: number; stdout: string; stderr: string }[] = [];
  let stdout = '';
  let stderr = '';
  const capture =
    (append: (s: string) => void) =>
    (chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'));
      const done = typeof encoding === 'function' ? encoding : cb;
      done?.();
      return true;
    };
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  const logStream: DestinationStream = { write: (s: string) => void (stderr += s) };
  try {
    for (const args of cases) {
      stdout = '';
      stderr = '';
      const code = await runTickflow(args, { logStream });
      results.push({ code, stdout, stderr });
    }
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  writeFileSync(output, JSON.stringify(results));
  // A case may leave a handle open (an HTTP agent's socket, a timer): the batch is done.
  process.exit(0);
}

if (process.argv[1] === SELF) await child(process.argv[2] ?? '', process.argv[3] ?? '');
