import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TOPICS } from '../../../schemas/index.ts';
import { identityKey, LogCheckpointStore } from '../../../storage/checkpoints/log-checkpoint-store.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';

/**
 * The checkpoint store on a topic of the event log (here an embedded log; the same EventLog calls
 * run on Kafka in test/integration/kafka/group-checkpoints.test.ts): read-back of the newest record
 * of a unit and graph identity, across scan windows and interleaved with other units' records.
 */
let dir = '';
let el: EmbeddedLog;
const ID_A = { codeVersion: 'c1', featureSetHash: 'fs', modelId: 'm', configHash: 'h' };
const ID_B = { ...ID_A, modelId: 'other' };
const store = (o: { scanStep?: number; maxStateBytes?: number } = {}): LogCheckpointStore =>
  new LogCheckpointStore({ log: el.log, encode: (t, v) => el.serde.encode(t, v), decode: (t, b) => el.serde.decodeAs(t, b), ...o });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickflow-log-ckpt-'));
  el = await openEmbeddedLog(join(dir, 'log'));
});
after(async () => {
  await el.close();
  rmSync(dir, { recursive: true, force: true });
});

test('latest: the newest accepted record of the unit and identity, scanning back across windows', async () => {
  assert.equal(await store().latest('partition/0', ID_A, () => null), null, 'no topic yet: nothing');
  const s = store({ scanStep: 2 });
  // Interleaved: unit 0 and 1 under identity A, unit 0 under identity B.
  for (let i = 1; i <= 5; i++) {
    assert.equal(await s.save('partition/0', ID_A, { inputs: i * 100, positions: { 'trades/0': i * 10 }, state: `state-a0-${i}` }, 0), null);
    await s.save('partition/1', ID_A, { inputs: i * 100 + 1, positions: { 'trades/1': i * 10 }, state: `state-a1-${i}` }, 0);
    await s.save('partition/0', ID_B, { inputs: i * 100 + 2, positions: { 'trades/0': i * 10 }, state: `state-b0-${i}` }, 0);
  }
  const newest = await s.latest('partition/0', ID_A, () => null);
  assert.deepEqual(newest, { inputs: 500, positions: { 'trades/0': 50 }, state: 'state-a0-5' });
  assert.equal((await s.latest('partition/0', ID_B, () => null))?.state, 'state-b0-5');
  // Refusing the newer ones walks back (over several 2-record windows) to the newest accepted, and reports each refused.
  const refused: [number | null, string][] = [];
  const older = await s.latest('partition/0', ID_A, (cp) => (cp.positions['trades/0']! > 20 ? 'past the cut' : null), (n, why) => refused.push([n, why]));
  assert.deepEqual(older, { inputs: 200, positions: { 'trades/0': 20 }, state: 'state-a0-2' });
  assert.deepEqual(refused, [[500, 'past the cut'], [400, 'past the cut'], [300, 'past the cut']]);
  assert.equal(await s.latest('partition/2', ID_A, () => null), null, 'another unit');
  assert.equal(await s.latest('partition/0', { ...ID_A, codeVersion: 'c2' }, () => null), null, 'another code version');
});

test('an undecodable record of the key is skipped with its reason; a state over the size limit is not written', async () => {
  const key = `partition/7|${identityKey(ID_A)}`;
  const s = store();
  await s.save('partition/7', ID_A, { inputs: 10, positions: {}, state: 'good' }, 0);
  await el.log.append(TOPICS.checkpoints.name, [{ key, timestamp: 0, value: new Uint8Array([0, 0, 0, 0, 99, 1, 2]) }]);
  const skipped: string[] = [];
  const cp = await s.latest('partition/7', ID_A, () => null, (_n, why) => skipped.push(why));
  assert.equal(cp?.state, 'good');
  assert.equal(skipped.length, 1);
  assert.match(skipped[0] ?? '', /^unreadable checkpoint record at checkpoints\/0@\d+: /);
  // Hash digests hardly compress (about 4 bits per hex digit): 6,400 hex digits gzip to over 3,000 bytes.
  const big = Array.from({ length: 100 }, (_, i) => createHash('sha256').update(String(i)).digest('hex')).join('');
  const why = await store({ maxStateBytes: 1_000 }).save('partition/7', ID_A, { inputs: 20, positions: {}, state: big }, 0);
  assert.match(why ?? '', /^the gzipped state is \d+ bytes, more than 1000$/);
  assert.equal((await s.latest('partition/7', ID_A, () => null))?.inputs, 10, 'nothing was written');
});
