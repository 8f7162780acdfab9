import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';

/**
 * Every command that only reads a log opens it read-only (lmdb readOnly, docs/reliability.md):
 * run on a log, it leaves the log's files as they were; pointed at a log that is not there, it is
 * one line, exit 2, and creates nothing.
 */
const tmp = tempDir('tickflow-read-only-');
after(() => tmp.cleanup());

/**
 * Names, sizes, mtimes and sha256 of a directory's files, but only the name and size of lock.mdb:
 * it is lmdb's reader table (shared memory), which every reader writes in any mode.
 */
function snapshot(dir: string): string[] {
  return readdirSync(dir).sort().map((f) => {
    const p = join(dir, f);
    const s = statSync(p);
    return f === 'lock.mdb' ? `${f} ${s.size}` : `${f} ${s.size} ${s.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  });
}

describe('read commands open the log read-only and never create one', () => {
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');
  before(async () => {
    // One process for the three (test/helpers/cli-batch.ts): a process start costs more than the work here.
    const made = await runCliBatch([
      ['generate', '--days', '1', '--out', log],
      ['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'train.csv')],
      ['train', '--dataset', join(tmp.dir, 'train.csv'), '--out', model, '--family', 'logistic', '--cv-folds', '0'],
    ]);
    for (const r of made) assert.equal(r.code, 0, r.stderr);
  });

  /** The read commands that change a copy of the log, each run as its own process (only when the log changed). */
  async function culprit(): Promise<string> {
    const changed: string[] = [];
    for (const [i, [name]] of reads().entries()) {
      const copy = join(tmp.dir, `culprit-${i}`);
      const out = join(tmp.dir, `culprit-${i}-out`);
      cpSync(log, copy, { recursive: true });
      mkdirSync(out);
      const before = snapshot(copy);
      await runCli(reads(copy, out)[i]![1]);
      if (JSON.stringify(snapshot(copy)) !== JSON.stringify(before)) changed.push(name);
    }
    return changed.length > 0 ? changed.join(', ') : 'one of the read commands (not one alone)';
  }

  // `db rebuild` is not here: the projector appends its dead letters to the log it projects, so it
  // opens the log writable (docs/reliability.md); its missing-log case is below.
  const reads = (l = log, out = tmp.dir): [string, string[], number[]][] => [
    ['replay dataset', ['replay', 'dataset', '--log', l, '--out', join(out, 'ds.csv')], [0]],
    ['replay backtest', ['replay', 'backtest', '--log', l, '--model', model, '--out', join(out, 'bt'), '--allow-ungated'], [0]],
    ['replay walk-forward', ['replay', 'walk-forward', '--log', l, '--train-days', '0.5', '--test-days', '0.25'], [0]],
    // The generated log holds no recorded signals: verify exits 1 (they differ) or 0; either way it read the log.
    ['verify', ['verify', '--log', l, '--model', model, '--progress-seconds', '600'], [0, 1]],
    ['patterns', ['patterns', '--log', l], [0]],
    ['mirror --from', ['mirror', '--from', l, '--to', join(out, 'copy')], [0]],
  ];

  test('each read command leaves the log byte for byte as it was (but lmdb\'s lock.mdb)', async () => {
    const before = snapshot(log);
    // The six run in ONE process (test/helpers/cli-batch.ts), each opening and closing the log as
    // its own process would; the log is compared after them all. Should it have changed, each is
    // run again as its own process on a fresh copy to name the one that changed it.
    const results = await runCliBatch(reads().map(([, args]) => args));
    for (const [i, [name, , codes]] of reads().entries()) {
      const r = results[i]!;
      assert.ok(codes.includes(r.code ?? -1), `${name}: exit ${r.code}\n${r.stderr}`);
      // The mirror copied something (the read was real): the copy holds the generated trades.
      if (name === 'mirror --from') assert.ok((r.json.records as number) > 0, r.stdout);
    }
    const after = snapshot(log);
    if (JSON.stringify(after) !== JSON.stringify(before)) assert.deepEqual(after, before, `${await culprit()} changed the log`);
  });

  test('a log that is not there: one line, exit 2, no directory created', async () => {
    const missing = join(tmp.dir, 'no-such-log');
    const commands: [string, string[]][] = [
      ['replay dataset', ['replay', 'dataset', '--log', missing, '--out', join(tmp.dir, 'x.csv')]],
      ['replay backtest', ['replay', 'backtest', '--log', missing, '--model', model, '--out', join(tmp.dir, 'x')]],
      ['replay walk-forward', ['replay', 'walk-forward', '--log', missing, '--train-days', '1', '--test-days', '1']],
      ['verify', ['verify', '--log', missing, '--model', model]],
      ['patterns', ['patterns', '--log', missing]],
      ['mirror --from', ['mirror', '--from', missing, '--to', join(tmp.dir, 'y')]],
      ['db rebuild', ['db', 'rebuild', '--log', missing]],
    ];
    // One process runs the seven (test/helpers/cli-batch.ts); each is checked as its own process would be.
    const results = await runCliBatch(commands.map(([, args]) => args));
    for (const [i, [name]] of commands.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
      assert.match(lines[0] ?? '', /^tickflow: --(log|from) ".*no-such-log": no such directory \(read commands never create a log\)$/, name);
      // (checked after all seven ran: one of them created it when this fails)
      assert.equal(existsSync(missing), false, `${missing} was created`);
    }
    assert.equal(existsSync(join(tmp.dir, 'y')), false, 'mirror created its target for a missing source');
  });
});
