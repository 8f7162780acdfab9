import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyInterner } from '../../../storage/log/stored-record.ts';

test('KeyInterner returns exactly the UTF-8 decoding of the bytes, and the same string for the same bytes', () => {
  const keys = new KeyInterner(4);
  // More distinct keys than slots (eviction), same-length keys differing in one byte, multi-byte
  // UTF-8, the empty key, each at varying offsets inside a larger buffer.
  const words = ['BTC', 'ETH', 'ETF', 'NIFTY', 'Zürich', '日経', '', 'BTC', 'ETH', 'SOL', 'ADA', 'XRP', 'BTC', 'Zürich'];
  const seen = new Map<string, string>();
  words.forEach((w, i) => {
    const pad = Buffer.alloc(i % 3, 0x41);
    const buf = Buffer.concat([pad, Buffer.from(w, 'utf8'), Buffer.from([0xff, 0x00])]);
    const s = keys.intern(buf, pad.length, pad.length + Buffer.byteLength(w));
    assert.equal(s, w);
    seen.set(w, s);
  });
  const again = Buffer.from('xxETHxx');
  assert.equal(keys.intern(again, 2, 5), 'ETH');
  assert.equal(keys.intern(Buffer.from('ETI'), 0, 3), 'ETI');
  assert.equal(seen.size, 10);
});
