import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { partitionFor, type LogRecord } from '../../../storage/log/event-log.ts';
import { LmdbEventLog } from '../../../storage/log/lmdb-event-log.ts';
import { BASE_TS, BATCH, KEYS, crashValue } from './fixtures/crash-records.ts';
import { nodeEntry } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url)); // where `--import tsx` resolves

test('SIGKILL mid-append loses no acknowledged record and leaves the log consistent', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickflow-crash-'));
  try {
    const child = spawn(process.execPath, [...nodeEntry(FIXTURE), dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop()!;
      for (const line of lines) acked = Number(line);
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

    // Meanwhile this process follows the log: appends of another process arrive by polling.
    const follower = await LmdbEventLog.open(dir, { pollIntervalMs: 20 });
    const ac = new AbortController();
    const followed: LogRecord[][] = [[], [], [], []];
    const following = followed.map(async (out, p) => {
      for await (const batch of follower.follow('crash', p, 0, ac.signal)) out.push(...batch);
    });

    const target = 40 * BATCH;
    await waitFor(() => `acks and a follower's records (acked ${acked})`, () => acked >= target && followed.some((f) => f.length > 0), { timeoutMs: 30_000 });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const lastAcked = acked;
    ac.abort();
    await Promise.all(following);
    await follower.close();

    const log = await LmdbEventLog.open(dir);
    assert.equal(await log.partitions('crash'), 4);
    const seqs: number[] = [];
    for (let p = 0; p < 4; p++) {
      let expectedOffset = 0;
      const lastSeqOfKey = new Map<string, number>();
      for await (const batch of log.read('crash', p, { batchSize: 1000 })) {
        for (const r of batch) {
          assert.equal(r.offset, expectedOffset++, `partition ${p}: offsets are contiguous`);
          const i = Buffer.from(r.value).readDoubleLE(0);
          assert.deepEqual(Buffer.from(r.value), Buffer.from(crashValue(i)), `record ${i} intact`);
          assert.equal(r.key, `k${i % KEYS}`);
          assert.equal(r.timestamp, BASE_TS + i);
          assert.equal(partitionFor(r.key, 4), p);
          assert.ok(i > (lastSeqOfKey.get(r.key) ?? -1), `per-key order of ${r.key}`);
          lastSeqOfKey.set(r.key, i);
          seqs.push(i);
        }
      }
      // What the follower saw is a prefix of what is on disk, byte for byte.
      const seen = followed[p]!;
      const onDisk = (await collect(log.read('crash', p, { toOffset: seen.length }))).flat();
      assert.deepEqual(seen.map((r) => Buffer.from(r.value).toString('hex')), onDisk.map((r) => Buffer.from(r.value).toString('hex')));
    }
    const total = seqs.length;
    assert.ok(total >= lastAcked, `all ${lastAcked} acknowledged records are there (found ${total})`);
    assert.equal(total % BATCH, 0, 'appends are all-or-nothing');
    assert.ok(total <= lastAcked + BATCH, 'at most the one in-flight batch beyond the last acknowledgement');
    assert.deepEqual(seqs.sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i));

    // The log still takes appends where it left off.
    const positions = await log.append('crash', [{ key: 'k0', timestamp: BASE_TS + total, value: crashValue(total) }]);
    assert.equal(positions[0]!.offset, await log.endOffset('crash', positions[0]!.partition) - 1);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
