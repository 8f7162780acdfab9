import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { chooseHolder, decodeClaim, writerLockAssigner, type LockClaim } from '../../../storage/kafka/writer-lock-assigner.ts';

const claim = (heldAs: string | null, pid = 1): LockClaim => ({ heldAs, pid, host: 'h', command: 'start' });

describe('the writer lock assigner (storage/kafka/writer-lock-assigner.ts)', () => {
  test('the member that holds the lock under its current id keeps it, whatever joins', () => {
    assert.equal(chooseHolder([{ memberId: 'a', claim: claim(null) }, { memberId: 'z', claim: claim('z') }]), 'z');
    // A former holder back under a new id (frozen past its session timeout) does not take it from the current one.
    assert.equal(chooseHolder([{ memberId: 'b', claim: claim('old-id') }, { memberId: 'z', claim: claim('z') }]), 'z');
  });

  test('without a current holder: a former holder first, then the newcomer with the lowest id', () => {
    assert.equal(chooseHolder([{ memberId: 'a', claim: claim(null) }, { memberId: 'b', claim: claim('gone') }]), 'b');
    assert.equal(chooseHolder([{ memberId: 'c', claim: claim(null) }, { memberId: 'a', claim: null }, { memberId: 'b', claim: claim(null) }]), 'a');
    assert.equal(chooseHolder([]), null);
  });

  test('assigns partition 0 of the lock topic to the holder only, and carries each claim in the metadata', async () => {
    const assigner = writerLockAssigner(() => claim(null, 7))({ cluster: {} as never, groupId: 'g', logger: {} as never });
    const meta = (c: LockClaim) => kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['lock'], userData: Buffer.from(JSON.stringify(c)) });
    assert.deepEqual(decodeClaim(assigner.protocol({ topics: ['lock'] }).metadata), claim(null, 7));
    const out = await assigner.assign({ members: [{ memberId: 'm1', memberMetadata: meta(claim(null)) }, { memberId: 'm2', memberMetadata: meta(claim('m2')) }], topics: ['lock'] });
    const got = out.map((o) => [o.memberId, kafkajs.AssignerProtocol.MemberAssignment.decode(o.memberAssignment)?.assignment]);
    assert.deepEqual(got, [['m1', {}], ['m2', { lock: [0] }]]);
    assert.equal(decodeClaim(Buffer.from('not ours')), null);
  });
});
