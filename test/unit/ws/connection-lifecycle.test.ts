import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalServer } from '../../../sinks/ws/index.ts';
import { TestClient, waitUntil, type Msg } from './ws-test-client.ts';

const seqOf = (m: Msg): number => (m['data'] as { seq: number }).seq;

describe('SignalServer connections', () => {
  test('a client vanishing without a close frame does not disturb the others', async () => {
    const server = new SignalServer({ port: 0 });
    const { port } = await server.start();
    const clients = await Promise.all([0, 1, 2].map(() => TestClient.connect(port)));
    for (const c of clients) await c.request({ op: 'subscribe', channel: 'signals' }, 'subscribed');
    const [gone, a, b] = clients as [TestClient, TestClient, TestClient];
    gone.ws.terminate(); // destroys the TCP socket: no close handshake
    for (let seq = 0; seq < 50; seq++) server.publish('signals', 'BTC', { seq });
    for (const c of [a, b]) await c.until(() => c.received.filter((m) => m.type === 'signal').length === 50, '50 signals');
    assert.deepEqual(a.received.filter((m) => m.type === 'signal').map(seqOf), [...Array(50).keys()]);
    await waitUntil(() => server.stats().clients === 2, 'server to forget the vanished client');
    await server.close();
  });

  test('a slow consumer is disconnected with 1013 while a fast one gets everything', async () => {
    const maxBufferedBytes = 256 * 1024;
    const server = new SignalServer({ port: 0, maxBufferedBytes, closeTimeoutMs: 20_000 });
    const { port } = await server.start();
    const fast = await TestClient.connect(port);
    const slow = await TestClient.connect(port);
    for (const c of [fast, slow]) await c.request({ op: 'subscribe', channel: 'bars' }, 'subscribed');
    slow.ws.pause(); // stops reading its socket: kernel buffers fill, then the server's backlog grows
    const pad = 'x'.repeat(16 * 1024);
    let published = 0;
    // Publish in small batches, yielding so the fast client can read; stop once the slow one is dropped.
    while (server.stats().dropped === 0 && published < 8_000) {
      for (let i = 0; i < 8; i++) server.publish('bars', 'BTC', { seq: published++, pad });
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(server.stats().dropped, 1, `not dropped after ${published} messages`);
    await fast.until(() => fast.received.filter((m) => m.type === 'bar').length === published, 'all bars on the fast client');
    slow.ws.resume();
    await slow.closed('slow client close');
    assert.equal(slow.closeCode, 1013);
    assert.equal(fast.closeCode, null);
    assert.deepEqual(await fast.request({ op: 'ping' }, 'pong'), { type: 'pong' });
    await server.close();
  });

  test('a peer whose pong is later than maxBacklogMs is terminated, one that answers is kept', async () => {
    const server = new SignalServer({ port: 0, heartbeatMs: 40, maxBacklogMs: 80 });
    const { port } = await server.start();
    const dead = await TestClient.connect(port, '/ws', { autoPong: false });
    const live = await TestClient.connect(port);
    await dead.closed('dead peer terminated');
    assert.equal(server.stats().terminated, 1);
    assert.equal(dead.closeCode, 1006); // terminated: no close frame
    assert.equal(live.closeCode, null);
    assert.deepEqual(await live.request({ op: 'ping' }, 'pong'), { type: 'pong' });
    await server.close();
  });

  test('close() closes every client with 1001, resolves, and refuses new connections', async () => {
    const server = new SignalServer({ port: 0 });
    const { port } = await server.start();
    const clients = await Promise.all([0, 1].map(() => TestClient.connect(port)));
    await server.close();
    for (const c of clients) {
      await c.closed();
      assert.equal(c.closeCode, 1001);
    }
    assert.equal(server.stats().clients, 0);
    await assert.rejects(TestClient.connect(port), /ECONNREFUSED/);
    await server.close(); // idempotent
  });

  test('start() on a port in use rejects', async () => {
    const first = new SignalServer({ port: 0 });
    const { port } = await first.start();
    await assert.rejects(new SignalServer({ port }).start(), /EADDRINUSE/);
    await first.close();
  });
});
