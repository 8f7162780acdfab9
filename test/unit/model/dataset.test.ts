import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseMetaLine, readDataset } from '../../../model/dataset.ts';
import { ModelError } from '../../../model/errors.ts';
import { tempDir } from './synthetic-dataset.ts';

function write(content: string): string {
  const path = join(tempDir(), 'd.csv');
  writeFileSync(path, content);
  return path;
}

const invalid = (re: RegExp) => (e: unknown) => e instanceof ModelError && e.code === 'DATASET_INVALID' && re.test(e.message);

describe('readDataset', () => {
  test('reads rows into typed arrays, skips incomplete rows with counts, hashes the bytes', async () => {
    const path = write(
      [
        '# featureSetHash=fs123 horizonBars=6 flatBand=0.0015',
        'symbol,barEnd,a,b,fwdReturn,label',
        'AAA,1000,1.5,2,0.01,UP',
        'BBB,1000,,3,0,FLAT', // empty feature
        'AAA,2000,0.5,NaN,0,FLAT', // non-numeric feature
        'BBB,2000,0.25,-1,-0.02,DOWN',
        'AAA,3000,1,1,,', // no label yet (end of the data)
        'BBB,3000,7,8,0.001,FLAT',
        '',
      ].join('\r\n'),
    );
    const ds = await readDataset(path);
    assert.deepEqual(ds.featureNames, ['a', 'b']);
    assert.equal(ds.featureSetHash, 'fs123');
    assert.deepEqual(ds.meta, { featureSetHash: 'fs123', horizonBars: '6', flatBand: '0.0015' });
    assert.equal(ds.rows, 3);
    assert.equal(ds.dim, 2);
    assert.deepEqual(Array.from(ds.features), [1.5, 2, 0.25, -1, 7, 8]);
    assert.deepEqual(Array.from(ds.barEnd), [1000, 2000, 3000]);
    assert.deepEqual(Array.from(ds.labels), [0, 2, 1]); // CLASSES = UP, FLAT, DOWN
    assert.deepEqual(Array.from(ds.fwdReturn), [0.01, -0.02, 0.001]);
    assert.deepEqual(Array.from(ds.symbolIndex, (i) => ds.symbols[i]), ['AAA', 'BBB', 'BBB']);
    assert.deepEqual(ds.skipped, { emptyFeature: 1, nonFiniteFeature: 1, missingLabel: 1 });
    assert.equal(ds.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
  });

  test('without a comment line the feature-set hash is null', async () => {
    const ds = await readDataset(write('symbol,barEnd,x,fwdReturn,label\nAAA,1,2,0,UP\n'));
    assert.equal(ds.featureSetHash, null);
    assert.equal(ds.rows, 1);
  });

  test('malformed files are refused with the line number', async () => {
    await assert.rejects(readDataset(write('symbol,time,x,fwdReturn,label\n')), invalid(/header/));
    await assert.rejects(readDataset(write('symbol,barEnd,x,fwdReturn,label\nAAA,1,2,0,SIDEWAYS\n')), invalid(/:2: unknown label/));
    await assert.rejects(readDataset(write('symbol,barEnd,x,fwdReturn,label\nAAA,1,2,UP\n')), invalid(/expected 5 cells/));
    await assert.rejects(readDataset(write('symbol,barEnd,x,fwdReturn,label\nAAA,2,2,0,UP\nAAA,1,2,0,UP\n')), invalid(/:3: rows must be sorted/));
  });
});

test('parseMetaLine reads key=value tokens separated by spaces or commas', () => {
  assert.deepEqual(parseMetaLine('# featureSetHash=ab12, horizonBars=6 note'), { featureSetHash: 'ab12', horizonBars: '6' });
});
