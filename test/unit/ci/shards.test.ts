import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { shardFiles, testFiles } from '../../helpers/shard.ts';

const SHARDS = join(import.meta.dirname, '..', '..', 'shards');

/** The `runShard(dir, index, count)` calls of test/shards/*.ts. */
function shardCalls(): { file: string; dir: string; index: number; count: number }[] {
  return readdirSync(SHARDS).filter((f) => f.endsWith('.ts')).sort().map((file) => {
    const m = /runShard\('([^']+)', (\d+), (\d+)\)/.exec(readFileSync(join(SHARDS, file), 'utf8'));
    assert.ok(m, `${file} calls runShard(dir, index, count)`);
    return { file, dir: m[1]!, index: Number(m[2]), count: Number(m[3]) };
  });
}

test('the unit shards run every file under test/unit exactly once (a missing shard would drop files silently)', () => {
  const calls = shardCalls().filter((c) => c.dir === 'test/unit');
  const count = calls[0]?.count ?? 0;
  assert.ok(count >= 1);
  assert.deepEqual(calls.map((c) => c.count), calls.map(() => count), 'every shard splits into the same count');
  assert.deepEqual(calls.map((c) => c.index).sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i + 1), 'shards 1..count, each once');
  const run = calls.flatMap((c) => shardFiles(c.dir, c.index, c.count));
  const all = testFiles('test/unit');
  assert.equal(run.length, all.length);
  assert.deepEqual([...run].sort(), all);
  assert.ok(all.includes('test/unit/ci/shards.test.ts'), 'this file is among them');
});

test('shards are balanced by count: sizes differ by at most one file', () => {
  const sizes = [1, 2, 3, 4].map((i) => shardFiles('test/unit', i, 4).length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(','));
});
