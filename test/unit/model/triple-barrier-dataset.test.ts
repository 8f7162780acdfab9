import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readDataset } from '../../../model/dataset.ts';
import { ModelError } from '../../../model/errors.ts';
import { planFolds } from '../../../model/evaluation/purged-folds.ts';
import { parseDatasetLabel } from '../../../model/label-rule.ts';
import { chronologicalSplit } from '../../../model/split.ts';
import { train } from '../../../model/train.ts';
import { exportDataset } from '../../../research/dataset.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';

const STEP = 300_000;
const H = 6 * STEP;

describe('purge on each label end (triple barrier)', () => {
  // 100 bars, one row each; T1 (validation start) is the barEnd of row 70.
  const barEnd = Float64Array.from({ length: 100 }, (_, i) => (i + 1) * STEP);
  const t1 = barEnd[70] as number;

  test('chronologicalSplit: a train row whose label ended before T1 is kept, though barEnd + horizon reaches past T1; one ending at T1 is purged', () => {
    const horizonOnly = chronologicalSplit(barEnd, { horizonMs: H, embargoMs: H });
    // Without per-row ends rows 64..69 (barEnd + 30 min >= T1) are purged.
    assert.equal(Array.from(horizonOnly.train).at(-1), 63);
    const labelEnd = Float64Array.from(barEnd, (t) => t + H);
    labelEnd[66] = (barEnd[66] as number) + STEP; // touched a barrier on the next bar: ends at row 67's barEnd < T1
    labelEnd[68] = (barEnd[68] as number) + 2 * STEP; // ends exactly at T1: overlaps the first validation bar
    const s = chronologicalSplit(barEnd, { horizonMs: H, embargoMs: H, labelEnd });
    const train = new Set(s.train);
    assert.ok(train.has(66), 'row 66 ended before T1');
    assert.ok(!train.has(68), 'row 68 ends at T1');
    assert.ok(!train.has(65) && !train.has(67) && !train.has(69));
    assert.equal(s.summary.purged, horizonOnly.summary.purged - 1);
    assert.equal(t1, s.summary.validationStart);
  });

  test('planFolds: before a test fold, rows purge on their own end; after it, the purge runs to the fold\'s last label end', () => {
    const full = Float64Array.from(barEnd, (t) => t + H);
    const plain = planFolds(barEnd, { folds: 4, horizonMs: H, holdoutFraction: 0 });
    const same = planFolds(barEnd, { folds: 4, horizonMs: H, holdoutFraction: 0, labelEnd: full });
    assert.deepEqual(same.folds.map((f) => Array.from(f.train)), plain.folds.map((f) => Array.from(f.train)));
    // Every label ends on the next bar: only the row right before each test fold is purged, and after a fold only up to its last end.
    const short = Float64Array.from(barEnd, (t) => t + STEP);
    const p = planFolds(barEnd, { folds: 4, horizonMs: H, embargoMs: 0, holdoutFraction: 0, labelEnd: short });
    const f1 = p.folds[1]!;
    const firstTest = f1.test[0] as number;
    const lastTest = f1.test.at(-1) as number;
    const tr = new Set(f1.train);
    assert.ok(tr.has(firstTest - 2) && !tr.has(firstTest - 1), 'the row whose label ends on the first test bar is purged, the one before kept');
    assert.ok(!tr.has(lastTest + 1) && tr.has(lastTest + 2), 'after the fold: purged up to its last label end');
  });

  test('labelEnd of the wrong length is refused', () => {
    assert.throws(() => chronologicalSplit(barEnd, { labelEnd: new Float64Array(3) }), (e: unknown) => e instanceof ModelError && e.code === 'SPLIT_INVALID');
  });
});

describe('replay dataset with triple-barrier labels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-barrier-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const el = await openEmbeddedLog(join(dir, 'log'));
  after(() => el.close());
  await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 1, seed: 2026, signalStrength: 1 }));
  const label = parseDatasetLabel('triple-barrier:2,1,12');
  assert.ok(label.kind === 'triple-barrier');
  const make = (out: string) => exportDataset({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), out: join(dir, out), tripleBarrier: label.config });

  test('same log, same bytes; every row has a labelEnd within its time limit and the label the counts say', async () => {
    const a = await make('a.csv');
    const b = await make('b.csv');
    assert.equal(a.sha256, b.sha256);
    assert.ok(a.rows > 200, `${a.rows} rows`);
    const counts = a.barrier!;
    assert.equal(counts.up + counts.down + counts.timeout, a.rows);
    assert.ok(counts.up > 0 && counts.down > 0 && counts.timeout > 0, JSON.stringify(counts));
    assert.ok(counts.noVolatility > 0, 'the first rows of each symbol have no sigma yet');
    assert.equal(readFileSync(a.file, 'utf8').split('\n', 1)[0]!.split(',').at(-3), 'labelEnd');
    const meta = JSON.parse(readFileSync(`${a.file}.meta.json`, 'utf8')) as Record<string, string>;
    assert.deepEqual([meta['labelRule'], meta['barrierUp'], meta['barrierDown'], meta['horizonBars'], meta['barrierVolBars'], meta['flatBand']], ['triple-barrier', '2', '1', '12', '20', undefined]);
    const ds = await readDataset(a.file);
    assert.ok(ds.labelEnd !== undefined);
    const byClass = [0, 0, 0];
    let early = 0;
    for (let i = 0; i < ds.rows; i++) {
      const t = ds.barEnd[i] as number;
      const end = ds.labelEnd[i] as number;
      assert.ok(end > t && end <= t + 12 * STEP, `row ${i}`);
      if (end < t + 12 * STEP) early++;
      byClass[ds.labels[i] as number] = (byClass[ds.labels[i] as number] as number) + 1;
      if (ds.labels[i] === 1) assert.equal(end, t + 12 * STEP, 'FLAT only at the time limit');
    }
    assert.deepEqual(byClass, [counts.up, counts.timeout, counts.down]);
    assert.ok(early > 0);
  });

  test('a Parquet dataset carries the same labelEnd column and reads back to the same rows', async () => {
    const csv = await readDataset((await make('c.csv')).file);
    const pq = await readDataset((await make('c.parquet')).file);
    assert.deepEqual(Array.from(pq.labelEnd!), Array.from(csv.labelEnd!));
    assert.deepEqual(Array.from(pq.labels), Array.from(csv.labels));
  });

  test('train on it: the split purges on the label ends, the manifest records the rule, and --label percentile is refused', async () => {
    const file = (await make('t.csv')).file;
    const out = join(dir, 'model');
    const r = await train({ datasetPath: file, outDir: out, seed: 1, family: 'logistic' });
    assert.deepEqual(r.manifest.tripleBarrier, { up: 2, down: 1, bars: 12, volBars: 20 });
    assert.equal(r.manifest.labelConfig.flatBand, null);
    const ds = await readDataset(file);
    const expected = chronologicalSplit(ds.barEnd, { horizonMs: 12 * STEP, embargoMs: 12 * STEP, labelEnd: ds.labelEnd! });
    assert.equal(r.manifest.split.purged, expected.summary.purged);
    assert.ok(expected.summary.purged < chronologicalSplit(ds.barEnd, { horizonMs: 12 * STEP, embargoMs: 12 * STEP }).summary.purged);
    await assert.rejects(train({ datasetPath: file, outDir: join(dir, 'p'), seed: 1, family: 'logistic', label: { kind: 'percentile', p: 60 } }), /triple-barrier labels/);
  });

  test('--label spelling: band or triple-barrier:<up>,<down>,<bars>', () => {
    assert.deepEqual(parseDatasetLabel('band'), { kind: 'band' });
    assert.deepEqual(parseDatasetLabel('triple-barrier:1.5,1,6'), { kind: 'triple-barrier', config: { up: 1.5, down: 1, bars: 6, volBars: 20 } });
    for (const bad of ['triple-barrier:0,1,6', 'triple-barrier:1,1', 'triple-barrier:1,1,0', 'percentile:60']) assert.throws(() => parseDatasetLabel(bad), /band or triple-barrier/);
  });
});
