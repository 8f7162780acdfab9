import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { OptionChainSnapshot } from '../../../schemas/index.ts';
import { ingestFile } from '../../../sources/ingest/index.ts';
import { tempDir } from '../../helpers/cli.ts';
import { readTopic, withLog } from './ingest-helpers.ts';

const tmp = tempDir('tickflow-chain-rows-');
after(() => tmp.cleanup());

/** A wide chain CSV: per snapshot (IST minute, wide rows), each row a call and a put at its own strike. */
function wideChain(name: string, snapshots: [string, number][]): string {
  let s = 'Timestamp,Underlying,Spot,Expiry,Strike,CE_LTP,CE_OI,CE_Volume,CE_IV,PE_LTP,PE_OI,PE_Volume,PE_IV\n';
  for (const [minute, rows] of snapshots) {
    for (let i = 0; i < rows; i++) s += `2026-08-18T${minute}:00+05:30,NIFTY,24200,2026-08-25,${24000 + 50 * i},${150 + i},100,10,0.12,${140 + i},120,12,0.13\n`;
  }
  const file = join(tmp.dir, name);
  writeFileSync(file, s);
  return file;
}

// 2026-08-18 10:44 IST = 1787030040 s (10:43 = 1787029980 s, GNU date).
const T1044 = 1787030040_000;

describe('--max-chain-rows: a snapshot larger than the limit is rejected and counted, the rest kept', () => {
  test('10 contracts allowed: the 60-contract snapshot is too-many-rows, its 60 rows snapshot-too-large; 10 and 6 kept', () =>
    withLog(async (access) => {
      const file = wideChain('three.csv', [['10:43', 30], ['10:44', 5], ['10:45', 3]]);
      const s = await ingestFile(access, { file, format: 'option-chain-wide', tz: 'Asia/Kolkata', maxChainRows: 10 });
      assert.equal(s.accepted, 2);
      assert.deepEqual(s.reasons, { 'too-many-rows': 1 });
      assert.equal(s.contracts, 16);
      assert.equal(s.rowsRejected, 60);
      assert.deepEqual(s.rowReasons, { 'snapshot-too-large': 60 });
      const snaps = await readTopic<OptionChainSnapshot>(access, 'options');
      assert.deepEqual(snaps.map((x) => [x.tsEvent, x.contracts.length]), [[T1044, 10], [T1044 + 60_000, 6]]);
    }));

  test('a snapshot of exactly the limit is kept; one row more is not', () =>
    withLog(async (access) => {
      const file = wideChain('edge.csv', [['10:43', 5], ['10:44', 6]]);
      const s = await ingestFile(access, { file, format: 'option-chain-wide', tz: 'Asia/Kolkata', maxChainRows: 10 });
      assert.equal(s.accepted, 1);
      assert.deepEqual(s.reasons, { 'too-many-rows': 1 });
      assert.deepEqual(s.rowReasons, { 'snapshot-too-large': 12 });
      assert.equal(s.contracts, 10);
    }));

  test('the default (20,000) keeps an ordinary chain: every row of 300 wide rows in one snapshot', () =>
    withLog(async (access) => {
      const file = wideChain('default.csv', [['10:43', 300]]);
      const s = await ingestFile(access, { file, format: 'option-chain-wide', tz: 'Asia/Kolkata' });
      assert.equal(s.accepted, 1);
      assert.equal(s.contracts, 600);
      assert.deepEqual(s.rowReasons, {});
    }));
});
