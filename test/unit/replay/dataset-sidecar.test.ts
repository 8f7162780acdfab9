import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { datasetMetaPath, readDataset } from '../../../model/dataset.ts';
import { openDatasetWriter } from '../../../research/dataset-writer.ts';
import { tempDir } from '../../helpers/cli.ts';

const tmp = tempDir('tickflow-sidecar-');
after(() => tmp.cleanup());
const META = { featureSetId: 'core-v1', featureSetHash: 'fs123', horizonBars: '6', flatBand: '0.0015' };

test('a CSV dataset is plain (header first) with its metadata in <file>.meta.json; train reads it back', async () => {
  const path = join(tmp.dir, 'd.csv');
  const w = openDatasetWriter(path, ['a', 'b'], META);
  w.write({ symbol: 'BTC', barEnd: 1000, features: [1, null], fwdReturn: 0.01, label: 'UP' });
  w.write({ symbol: 'BTC', barEnd: 2000, features: [2, 3], fwdReturn: -0.02, label: 'DOWN' });
  w.close();
  // What pandas.read_csv needs: the first line is the header, every line has the same cell count.
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'symbol,barEnd,a,b,fwdReturn,label');
  assert.deepEqual(new Set(lines.map((l) => l.split(',').length)), new Set([6]));
  assert.equal(datasetMetaPath(path), `${path}.meta.json`);
  assert.deepEqual(JSON.parse(readFileSync(datasetMetaPath(path), 'utf8')), META);
  const ds = await readDataset(path);
  assert.deepEqual(ds.meta, META);
  assert.equal(ds.featureSetHash, 'fs123');
  assert.equal(ds.rows, 1, 'the row with an empty feature is skipped, as before');
});

test('a dataset written the old way (metadata as a first # line, no sidecar) still reads', async () => {
  const path = join(tmp.dir, 'old.csv');
  writeFileSync(path, '# featureSetHash=old1 horizonBars=6\nsymbol,barEnd,a,fwdReturn,label\nBTC,1000,1,0.01,UP\n');
  const ds = await readDataset(path);
  assert.deepEqual(ds.meta, { featureSetHash: 'old1', horizonBars: '6' });
  assert.equal(ds.rows, 1);
});

test('a sidecar that is not a JSON object is a DATASET_INVALID error naming it', async () => {
  const path = join(tmp.dir, 'bad.csv');
  writeFileSync(path, 'symbol,barEnd,a,fwdReturn,label\nBTC,1000,1,0.01,UP\n');
  writeFileSync(datasetMetaPath(path), '[1,2]');
  await assert.rejects(readDataset(path), (e: Error & { code?: string }) => e.code === 'DATASET_INVALID' && e.message.includes('bad.csv.meta.json'));
});
