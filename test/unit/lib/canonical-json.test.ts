import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../../../lib/canonical-json.ts';

test('key order does not matter; array order does', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, 1], c: 'x' } }), '{"a":{"c":"x","d":[3,1]},"b":1}');
  assert.equal(canonicalJson({ a: { c: 'x', d: [3, 1] }, b: 1 }), canonicalJson({ b: 1, a: { d: [3, 1], c: 'x' } }));
  assert.notEqual(canonicalJson([1, 3]), canonicalJson([3, 1]));
});

test('keys sort by UTF-16 code units, as Array.prototype.sort does', () => {
  assert.equal(canonicalJson({ b: 0, B: 0, a: 0, é: 0, _: 0 }), '{"B":0,"_":0,"a":0,"b":0,"é":0}');
});

test('undefined members are skipped (as JSON.stringify); undefined in arrays is null', () => {
  assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.equal(canonicalJson([undefined, 1]), '[null,1]');
  assert.equal(canonicalJson({ a: undefined, b: [1, { z: 2, y: undefined }] }), JSON.stringify({ b: [1, { z: 2 }] }));
});

test('numbers round-trip; typed arrays are arrays; non-finite numbers and functions throw', () => {
  assert.equal(canonicalJson(0.1 + 0.2), '0.30000000000000004');
  assert.equal(canonicalJson(new Float64Array([1.5, -2])), '[1.5,-2]');
  assert.throws(() => canonicalJson({ a: NaN }), /non-finite/);
  assert.throws(() => canonicalJson([Infinity]), /non-finite/);
  assert.throws(() => canonicalJson({ f: () => 1 }), /unsupported function/);
  assert.throws(() => canonicalJson(1n), /unsupported bigint/);
});
