// A file's CLI cases queued while its tests are defined and run in ONE process by runCliBatch
// (cli-batch.ts) in a `before` hook; `processEdge` checks some of them as real processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCliBatch } from './cli-batch.ts';
import { runCli, type CliResult } from './cli.ts';

export class CliQueue {
  private readonly cases: string[][] = [];
  private results: CliResult[] = [];

  /** Queues `args`; the returned function gives its result once `run` has run the batch. */
  queue(args: string[]): () => CliResult {
    const i = this.cases.push(args) - 1;
    return () => {
      const r = this.results[i];
      assert.ok(r !== undefined, `no result for tickflow ${args.join(' ')}`);
      return r;
    };
  }

  async run(): Promise<void> {
    this.results = await runCliBatch(this.cases);
  }

  /** A test that the real `tickflow <args>` process exits `code` with the stdout and stderr the batch reported. */
  processEdge(args: string[], code: number): void {
    const result = this.queue(args);
    test(`tickflow ${args.join(' ')}`, async () => {
      const r = await runCli(args);
      const b = result();
      assert.equal(r.code, code, r.stderr);
      assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: b.code, stdout: b.stdout, stderr: b.stderr });
    });
  }
}
