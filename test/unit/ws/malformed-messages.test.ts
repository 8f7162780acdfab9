import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalServer } from '../../../sinks/ws/index.ts';
import { TestClient, type Msg } from './ws-test-client.ts';

const BIG = 64 * 1024;

// Each case: what the client sends and a pattern the error must match (naming the problem).
const CASES: { name: string; send: string | Buffer; error: RegExp }[] = [
  { name: 'not JSON', send: '{"op":"subscribe",', error: /^invalid JSON/ },
  { name: 'not an object (array)', send: '[1,2]', error: /must be a JSON object/ },
  { name: 'not an object (number)', send: '42', error: /must be a JSON object/ },
  { name: 'missing op', send: '{"channel":"signals"}', error: /unknown op undefined/ },
  { name: 'unknown op', send: '{"op":"dance"}', error: /unknown op "dance"/ },
  { name: 'unknown channel', send: '{"op":"subscribe","channel":"trades"}', error: /unknown channel "trades"/ },
  { name: 'symbols not an array', send: '{"op":"subscribe","channel":"signals","symbols":"BTC"}', error: /bad symbols: must be an array/ },
  { name: 'symbols with a number', send: '{"op":"subscribe","channel":"signals","symbols":["BTC",1]}', error: /bad symbols/ },
  { name: 'empty symbols', send: '{"op":"subscribe","channel":"signals","symbols":[]}', error: /bad symbols: empty/ },
  { name: 'oversized', send: `{"op":"ping","pad":"${'x'.repeat(BIG)}"}`, error: /message too large: \d+ bytes \(limit 65536\)/ },
  { name: 'binary frame', send: Buffer.from('{"op":"ping"}'), error: /binary frames are not supported/ },
  {
    name: 'single symbol removed from a "*" subscription',
    send: '{"op":"unsubscribe","channel":"bars","symbols":["BTC"]}',
    error: /cannot unsubscribe single symbols from a "\*" subscription/,
  },
];

describe('SignalServer with malformed messages', () => {
  let server: SignalServer;
  let port: number;
  let bad: TestClient;
  let bystander: TestClient;
  before(async () => {
    server = new SignalServer({ port: 0 });
    ({ port } = await server.start());
    bad = await TestClient.connect(port);
    bystander = await TestClient.connect(port);
    await bad.request({ op: 'subscribe', channel: 'bars' }, 'subscribed');
    await bystander.request({ op: 'subscribe', channel: 'bars' }, 'subscribed');
  });
  after(() => server.close());

  for (const c of CASES) {
    test(`${c.name}: error reply, then the same client and others keep working`, async () => {
      const reply = await bad.request(c.send, 'error');
      assert.match(String(reply['error']), c.error);
      // Same connection still answers and still receives its subscription.
      assert.deepEqual(await bad.request({ op: 'ping' }, 'pong'), { type: 'pong' });
      const seq = bad.received.length;
      server.publish('bars', 'BTC', { symbol: 'BTC', seq });
      const isBar = (m: Msg): boolean => m.type === 'bar' && (m['data'] as { seq: number }).seq === seq;
      await bad.next(isBar, 'bar on the bad client');
      await bystander.next(isBar, 'bar on the bystander');
    });
  }

  test('a message of exactly 64 KiB is still accepted', async () => {
    const head = '{"op":"ping","pad":"';
    const text = `${head}${'x'.repeat(BIG - head.length - 2)}"}`;
    assert.equal(Buffer.byteLength(text), BIG);
    assert.deepEqual(await bad.request(text, 'pong'), { type: 'pong' });
  });

  test('errors are counted and no client was dropped', () => {
    const s = server.stats();
    assert.equal(s.errors, CASES.length);
    assert.equal(s.clients, 2);
    assert.equal(s.dropped, 0);
    assert.equal(bad.closeCode, null);
  });
});
