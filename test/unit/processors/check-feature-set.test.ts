import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFailure } from '../../../cli/failure.ts';
import { TickflowError } from '../../../lib/errors.ts';
import { checkFeatureSet, FeatureSetMismatch } from '../../../processors/check-feature-set.ts';

const model = { modelId: 'm-1', featureSetHash: 'aaaa' };

test('the same feature set passes, by hash (the id is only for the message)', () => {
  assert.doesNotThrow(() => checkFeatureSet(model, 'aaaa'));
  assert.doesNotThrow(() => checkFeatureSet(model, { hash: 'aaaa', id: 'whatever-v9' }));
});

test('another feature set throws one error, with one message, whoever calls', () => {
  const caught = (offered: Parameters<typeof checkFeatureSet>[1]): FeatureSetMismatch => {
    try {
      checkFeatureSet(model, offered);
    } catch (e) {
      assert.ok(e instanceof FeatureSetMismatch);
      return e;
    }
    assert.fail('no error');
  };
  const byHash = caught('bbbb');
  assert.equal(byHash.message, 'model m-1 was trained on feature set aaaa but the features offered are bbbb; retrain on this feature set or compute the features the model expects');
  const withId = caught({ hash: 'bbbb', id: 'full-v1' });
  assert.equal(withId.message, 'model m-1 was trained on feature set aaaa but the features offered are full-v1 (bbbb); retrain on this feature set or compute the features the model expects');
  assert.deepEqual([withId.code, withId.modelId, withId.trainedOn, withId.offered, withId.retriable, withId.name], ['FEATURE_SET_MISMATCH', 'm-1', 'aaaa', { hash: 'bbbb', id: 'full-v1' }, false, 'FeatureSetMismatch']);
  assert.ok(withId instanceof TickflowError);
});

test('the CLI reports it as the user\'s mistake: exit 2, one line', () => {
  const e = new FeatureSetMismatch('m-1', 'aaaa', { hash: 'bbbb' });
  assert.deepEqual(describeFailure(e, false), { code: 2, text: `tickflow: ${e.message}` });
  assert.equal(describeFailure(new Error('wrapped', { cause: e }), false).code, 2);
});
