import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { open } from 'lmdb';
import type { AppendRecord, LogRecord } from '../../../storage/log/event-log.ts';
import { LmdbEventLog } from '../../../storage/log/lmdb-event-log.ts';
import { BLOCK_BYTES, BLOCK_RECORDS, StoredFrames } from '../../../storage/log/stored-record.ts';
import { tempDir as makeTempDir } from '../../helpers/cli.ts';

/**
 * The embedded log's blocks (D171): one append's records of a partition are stored as blocks of
 * up to BLOCK_RECORDS records (one lmdb value each), single appends as single records (format 1).
 * Whatever the mix, every read gives exactly the records appended, at their offsets; the expected
 * values here are the appended records themselves, counted per partition in append order.
 */
/** A fresh directory (the CLI helpers' tempDir), removed when the test that made it ends. */
function tempDir(): string {
  const t = makeTempDir('tickflow-blocks-');
  after(t.cleanup);
  return t.dir;
}

/** A deterministic record: key from a few symbols, value length varying (some past BLOCK_BYTES). */
function record(i: number): AppendRecord {
  const len = i % 97 === 0 ? BLOCK_BYTES + 500 + (i % 7) : i % 13 === 0 ? 2_000 + (i % 50) : 20 + (i % 40);
  const value = new Uint8Array(len);
  for (let j = 0; j < len; j++) value[j] = (i * 31 + j * 7) & 0xff;
  // Timestamps nearly monotone, as trades are: a few step back.
  return { key: ['BTC', 'ETH', 'AVAX', 'ΔSOL'][i % 4] as string, timestamp: 1_700_000_000_000 + i * 10 - (i % 11 === 0 ? 25 : 0), value };
}

/** What each partition must hold: the appended records in append order. */
function expected(appended: readonly AppendRecord[], positions: readonly { partition: number; offset: number }[]): Map<number, AppendRecord[]> {
  const by = new Map<number, AppendRecord[]>();
  appended.forEach((r, i) => {
    const { partition, offset } = positions[i]!;
    const list = by.get(partition) ?? [];
    assert.equal(offset, list.length, 'offsets of a partition are consecutive from 0');
    list.push(r);
    by.set(partition, list);
  });
  return by;
}

async function readAll(log: LmdbEventLog, topic: string, partition: number, from: number, to: number | undefined, batchSize: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const batch of log.read(topic, partition, { fromOffset: from, ...(to === undefined ? {} : { toOffset: to }), batchSize })) out.push(...batch);
  return out;
}

/**
 * The same range read as replay's reader thread reads it (readFrames, D173): one StoredFrames
 * reused for every read of `batchSize` records, each frame made back into a record here.
 */
function readFramesAll(log: LmdbEventLog, topic: string, partition: number, from: number, to: number, batchSize: number): LogRecord[] {
  const out: LogRecord[] = [];
  const frames = new StoredFrames(topic, partition);
  const utf8 = new TextDecoder();
  for (let next = from; next < to; ) {
    log.readFrames(topic, partition, next, Math.min(next + batchSize, to), frames);
    const before = out.length;
    while (frames.next()) {
      const b = frames.bytes;
      out.push({ topic, partition, offset: frames.offset, key: utf8.decode(b.subarray(frames.keyStart, frames.keyEnd)), timestamp: frames.timestamp, value: b.slice(frames.valueStart, frames.valueEnd) });
    }
    if (out.length === before) break;
    next = out[out.length - 1]!.offset + 1;
  }
  return out;
}

function assertRecords(got: readonly LogRecord[], want: readonly AppendRecord[], firstOffset: number, where: string): void {
  assert.equal(got.length, want.length, `${where}: record count`);
  got.forEach((r, i) => {
    const w = want[i]!;
    assert.equal(r.offset, firstOffset + i, `${where}: offset`);
    assert.equal(r.key, w.key, `${where}: key at ${r.offset}`);
    assert.equal(r.timestamp, w.timestamp, `${where}: timestamp at ${r.offset}`);
    // Compared without a diff (a wrong 17 MB value would make a diff of millions of lines).
    assert.ok(Buffer.from(r.value).equals(Buffer.from(w.value)), `${where}: value at ${r.offset} (${r.value.length} bytes read, ${w.value.length} appended)`);
  });
}

/** lmdb values (entries) in a partition's database, read beside the log. */
function entries(dir: string, topic: string, partition: number): number {
  const env = open({ path: dir, maxDbs: 1000, readOnly: true });
  try {
    return env.openDB({ name: `records/${topic}/${partition}`, keyEncoding: 'uint32', encoding: 'binary' }).getKeysCount();
  } finally {
    void env.close();
  }
}

describe('stored blocks', () => {
  test('bulk and single appends mixed: every read range and batch size gives the appended records; bulk appends are blocks', async () => {
    const dir = tempDir();
    const log = await LmdbEventLog.open(dir);
    const appended: AppendRecord[] = [];
    const positions: { partition: number; offset: number }[] = [];
    const append = async (records: AppendRecord[]): Promise<void> => {
      positions.push(...(await log.append('t', records)));
      appended.push(...records);
    };
    let i = 0;
    const take = (n: number): AppendRecord[] => Array.from({ length: n }, () => record(i++));
    await append(take(1_500));
    for (let k = 0; k < 40; k++) await append(take(1)); // single appends (live): format 1
    await append(take(3));
    await append(take(2_100));
    const want = expected(appended, positions);
    const parts = await log.partitions('t');
    for (let p = 0; p < parts; p++) assert.equal(await log.endOffset('t', p), want.get(p)?.length ?? 0, `end offset of partition ${p}`);
    assert.ok(want.size >= 2, `the keys fall in ${want.size} partitions`);
    for (const [p, list] of want) {
      for (const batchSize of [1, 7, BLOCK_RECORDS, 4096]) {
        assertRecords(await readAll(log, 't', p, 0, undefined, batchSize), list, 0, `p${p} batch ${batchSize}`);
        assertRecords(readFramesAll(log, 't', p, 0, list.length + 10, batchSize), list, 0, `frames: p${p} batch ${batchSize}`);
      }
      // Ranges starting and ending inside blocks.
      assert.ok(list.length > 500, `partition ${p} holds ${list.length} records`);
      for (const [from, to] of [[1, 2], [BLOCK_RECORDS - 3, BLOCK_RECORDS + 5], [300, 301], [list.length - 45, list.length - 2], [17, list.length]]) {
        assertRecords(await readAll(log, 't', p, from!, to, 50), list.slice(from, to), from!, `p${p} [${from}, ${to})`);
        assertRecords(readFramesAll(log, 't', p, from!, to!, 50), list.slice(from, to), from!, `frames: p${p} [${from}, ${to})`);
      }
      // offsetForTime against a scan of the appended records: the first with timestamp >= ts.
      for (const ts of [0, list[0]!.timestamp, list[500]!.timestamp - 3, list[list.length - 1]!.timestamp, list[list.length - 1]!.timestamp + 1]) {
        const first = list.findIndex((r) => r.timestamp >= ts);
        assert.equal(await log.offsetForTime('t', p, ts), first < 0 ? list.length : first, `p${p} offsetForTime(${ts})`);
      }
    }
    await log.close();
    // The bulk appends are stored as blocks: far fewer lmdb values than records.
    let values = 0;
    for (let p = 0; p < parts; p++) values += entries(dir, 't', p);
    assert.ok(values < appended.length / 10, `${values} lmdb values for ${appended.length} records`);
    assert.ok(values > 40, 'each single append is a value of its own');
  });

  test('a log of single records (format 1) reads as it was and takes blocks once opened for writing', async () => {
    const dir = tempDir();
    // Format 1 as tickflow wrote it before blocks: one record per lmdb value (single appends
    // still store exactly that), the log marked format 1.
    const oldRecords = Array.from({ length: 60 }, (_, i) => ({ ...record(i), key: 'K' }));
    const first = await LmdbEventLog.open(dir);
    for (const r of oldRecords) await first.append('t', [r]);
    await first.close();
    const old = open({ path: dir, maxDbs: 1000 });
    await old.transaction(() => old.openDB({ name: 'meta' }).putSync('format', 1));
    await old.close();
    const readOnly = await LmdbEventLog.open(dir, { readOnly: true });
    const p = [...Array(await readOnly.partitions('t')).keys()].find((q) => q >= 0 && entries(dir, 't', q) > 0)!;
    assert.equal(entries(dir, 't', p), oldRecords.length, 'format 1: a value per record');
    assertRecords(await readAll(readOnly, 't', p, 0, undefined, 64), oldRecords, 0, 'format 1, read-only');
    assertRecords(readFramesAll(readOnly, 't', p, 0, 100, 64), oldRecords, 0, 'frames: format 1, read-only');
    assertRecords(readFramesAll(readOnly, 't', p, 7, 19, 5), oldRecords.slice(7, 19), 7, 'frames: format 1, a range');
    await readOnly.close();

    const log = await LmdbEventLog.open(dir);
    const more = Array.from({ length: 600 }, (_, i) => ({ ...record(1_000 + i), key: 'K' }));
    await log.append('t', more);
    assertRecords(await readAll(log, 't', p, 0, undefined, 100), [...oldRecords, ...more], 0, 'format 1 then blocks');
    assertRecords(await readAll(log, 't', p, 50, 70, 100), [...oldRecords, ...more].slice(50, 70), 50, 'across the old and new values');
    assertRecords(readFramesAll(log, 't', p, 50, 70, 100), [...oldRecords, ...more].slice(50, 70), 50, 'frames: across the old and new values');
    assert.ok(entries(dir, 't', p) < oldRecords.length + more.length / 10, 'the bulk append is blocks');
    await log.close();
    const meta = open({ path: dir, maxDbs: 1000, readOnly: true });
    assert.equal(meta.openDB({ name: 'meta' }).get('format'), 2, 'opened for writing, the log is marked format 2');
    await meta.close();
  });

  test('values read after lmdb-js replaces its 16 MB shared read buffer (a 17 MB record) are the appended bytes', async () => {
    const dir = tempDir();
    const log = await LmdbEventLog.open(dir);
    const big = (n: number, seed: number): AppendRecord => ({ key: 'K', timestamp: seed, value: Uint8Array.from({ length: n }, (_, j) => (j * 13 + seed) & 0xff) });
    // Single appends (format-1 values) around one far larger than lmdb-js's initial buffer.
    const records = [big(40, 1), big(17_000_000, 2), big(40, 3), big(5_000, 4)];
    const positions = [];
    for (const r of records) positions.push(...(await log.append('t', [r])));
    assertRecords(await readAll(log, 't', positions[0]!.partition, 0, undefined, 4), records, 0, 'around a 17 MB record');
    // The frames' buffer grows past its 64 KB for it, and keeps the values read before in the same read.
    assertRecords(readFramesAll(log, 't', positions[0]!.partition, 0, 4, 4), records, 0, 'frames: around a 17 MB record');
    assertRecords(readFramesAll(log, 't', positions[0]!.partition, 0, 4, 1), records, 0, 'frames: one at a time');
    await log.close();
  });

  test('a corrupt block is refused with its partition and offset', async () => {
    const dir = tempDir();
    const log = await LmdbEventLog.open(dir);
    const [pos] = await log.append('t', Array.from({ length: 10 }, (_, i) => ({ ...record(1 + i), key: 'K' })));
    await log.close();
    const env = open({ path: dir, maxDbs: 1000 });
    const db = env.openDB({ name: `records/t/${pos!.partition}`, keyEncoding: 'uint32', encoding: 'binary' });
    const block = Buffer.from(db.getBinary(0) as Uint8Array);
    assert.equal(block[0], 2, 'ten records in one append are one block');
    await env.transaction(() => db.putSync(0, block.subarray(0, block.length - 40)));
    await env.close();
    const reopened = await LmdbEventLog.open(dir);
    await assert.rejects(readAll(reopened, 't', pos!.partition, 0, undefined, 5), /corrupt record in t\/\d+: block at 0/);
    // The reader thread's frames say the same as the records of the other reads.
    const message = await readAll(reopened, 't', pos!.partition, 0, undefined, 10).then(() => '', (e: Error) => e.message);
    assert.throws(() => readFramesAll(reopened, 't', pos!.partition, 0, 10, 10), (e: Error) => e.message === message);
    await reopened.close();
  });
});
