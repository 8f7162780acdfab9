import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalServer } from '../../../sinks/ws/index.ts';
import { TestClient, type Msg } from './ws-test-client.ts';

const isData = (type: string, symbol: string) => (m: Msg) =>
  m.type === type && (m['data'] as { symbol?: string } | undefined)?.symbol === symbol;
const symbolsOf = (c: TestClient, type: string): string[] =>
  c.received.filter((m) => m.type === type).map((m) => (m['data'] as { symbol: string }).symbol);

describe('SignalServer delivery', () => {
  let server: SignalServer;
  let port: number;
  before(async () => {
    server = new SignalServer({ port: 0 });
    ({ port } = await server.start());
  });
  after(() => server.close());

  test('subscribers get only their channels and symbols, in publish order', async () => {
    const btc = await TestClient.connect(port);
    const all = await TestClient.connect(port);
    const bars = await TestClient.connect(port);
    assert.deepEqual(await btc.request({ op: 'subscribe', channel: 'signals', symbols: ['BTC'] }, 'subscribed'), {
      type: 'subscribed', channel: 'signals', symbols: ['BTC'],
    });
    assert.deepEqual((await all.request({ op: 'subscribe', channel: 'signals', symbols: ['*'] }, 'subscribed'))['symbols'], ['*']);
    assert.deepEqual((await bars.request({ op: 'subscribe', channel: 'bars' }, 'subscribed'))['symbols'], ['*']);

    server.publish('signals', 'ETH', { symbol: 'ETH', n: 1 });
    server.publish('bars', 'BTC', { symbol: 'BTC', n: 2 });
    server.publish('signals', 'BTC', { symbol: 'BTC', n: 3 });
    // Frames on one connection arrive in order: once the last one is in, earlier ones would be too.
    await btc.next(isData('signal', 'BTC'), 'BTC signal');
    await all.next(isData('signal', 'BTC'), 'BTC signal');
    await bars.next(isData('bar', 'BTC'), 'BTC bar');
    server.publish('bars', 'SOL', { symbol: 'SOL' });
    await bars.next(isData('bar', 'SOL'), 'SOL bar');

    assert.deepEqual(symbolsOf(btc, 'signal'), ['BTC']);
    assert.equal(btc.received.filter((m) => m.type === 'bar').length, 0);
    assert.deepEqual(symbolsOf(all, 'signal'), ['ETH', 'BTC']);
    assert.deepEqual(symbolsOf(bars, 'bar'), ['BTC', 'SOL']);
    assert.equal(bars.received.filter((m) => m.type === 'signal').length, 0);
    for (const c of [btc, all, bars]) c.ws.close();
  });

  test('payload numbers arrive exactly as JSON.stringify wrote them', async () => {
    const c = await TestClient.connect(port);
    await c.request({ op: 'subscribe', channel: 'signals' }, 'subscribed');
    const payload = { symbol: 'BTC', barEnd: 1_700_000_100_000, pUp: 0.1 + 0.2, tiny: 5e-324, neg: -1.7976931348623157e308 };
    server.publish('signals', 'BTC', payload);
    const m = await c.next(isData('signal', 'BTC'), 'signal');
    assert.deepEqual(m, { type: 'signal', data: payload });
    c.ws.close();
  });

  test('unsubscribe stops delivery of that symbol only; unsubscribing the channel stops all', async () => {
    const c = await TestClient.connect(port);
    await c.request({ op: 'subscribe', channel: 'signals', symbols: ['BTC', 'ETH'] }, 'subscribed');
    const reply = await c.request({ op: 'unsubscribe', channel: 'signals', symbols: ['BTC'] }, 'unsubscribed');
    assert.deepEqual(reply['symbols'], ['ETH']);
    server.publish('signals', 'BTC', { symbol: 'BTC' });
    server.publish('signals', 'ETH', { symbol: 'ETH' });
    await c.next(isData('signal', 'ETH'), 'ETH signal'); // sent after the BTC one
    assert.deepEqual(symbolsOf(c, 'signal'), ['ETH']);

    await c.request({ op: 'unsubscribe', channel: 'signals' }, 'unsubscribed');
    await c.request({ op: 'subscribe', channel: 'bars', symbols: ['BTC'] }, 'subscribed');
    server.publish('signals', 'ETH', { symbol: 'ETH' });
    server.publish('bars', 'BTC', { symbol: 'BTC' });
    await c.next(isData('bar', 'BTC'), 'BTC bar');
    assert.deepEqual(symbolsOf(c, 'signal'), ['ETH']); // still only the earlier one
    c.ws.close();
  });

  test('ping gets pong; a wrong path is refused at the handshake', async () => {
    const c = await TestClient.connect(port);
    assert.deepEqual(await c.request({ op: 'ping' }, 'pong'), { type: 'pong' });
    c.ws.close();
    await assert.rejects(TestClient.connect(port, '/other'), /Unexpected server response: 400/);
  });
});
