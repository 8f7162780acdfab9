import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { get } from 'node:http';
import { IsolatedSignalServer, SignalServer } from '../../../sinks/ws/index.ts';
import { clientAddressOf } from '../../../sinks/ws/access.ts';
import { TestClient, waitUntil } from './ws-test-client.ts';

type AnyServer = SignalServer | IsolatedSignalServer;

const signalsOf = (c: TestClient): number => c.received.filter((m) => m.type === 'signal').length;

/** Resolves when the server closes the raw TCP connection. */
const closedBy = (socket: Socket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

// The same behaviour on the processing thread and in the fan-out worker thread.
const variants: [string, (o: ConstructorParameters<typeof SignalServer>[0]) => AnyServer][] = [
  ['SignalServer', (o) => new SignalServer(o)],
  ['IsolatedSignalServer (worker thread)', (o) => new IsolatedSignalServer(o)],
];

for (const [name, make] of variants) {
  describe(`${name}: slow clients, handshakes, subscribe rate`, () => {
    test('a paused reader is terminated once its backlog is older than maxBacklogMs, under the byte limit; a reading client keeps everything', async () => {
      // 1 MiB byte limit: the paused client's few hundred bytes never reach it, so only age can drop it.
      const server = make({ port: 0, heartbeatMs: 50, maxBacklogMs: 300 });
      const { port } = await server.start();
      const paused = await TestClient.connect(port);
      const reader = await TestClient.connect(port);
      for (const c of [paused, reader]) await c.request({ op: 'subscribe', channel: 'signals' }, 'subscribed');
      paused.ws.pause(); // stops reading the socket: pings and frames queue up unread
      let seq = 0;
      const ticker = setInterval(() => server.publish('signals', 'BTC', { seq: seq++ }), 20);
      try {
        await waitUntil(() => server.stats().terminated === 1, 'the paused client to be terminated', 10_000);
        const sentBefore = seq;
        await reader.until(() => signalsOf(reader) >= sentBefore, 'the reader to get every signal so far', 10_000);
      } finally {
        clearInterval(ticker);
      }
      assert.equal(server.stats().dropped, 0, 'not dropped by bytes');
      assert.equal(reader.closeCode, null);
      assert.deepEqual(await reader.request({ op: 'ping' }, 'pong'), { type: 'pong' });
      await waitUntil(() => server.stats().clients === 1, 'the server to forget the paused client');
      await server.close();
    });

    test('a connection that never completes its handshake is destroyed after handshakeTimeoutMs; completed ones stay', async () => {
      const server = make({ port: 0, handshakeTimeoutMs: 300 });
      const { port } = await server.start();
      const client = await TestClient.connect(port); // connected first: its timer would fire first if not cleared
      const silent = await rawConnect(port);
      const partial = await rawConnect(port);
      partial.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers never finished
      await Promise.all([closedBy(silent), closedBy(partial)]);
      await waitUntil(() => server.stats().handshakeTimeouts === 2, 'two handshake timeouts counted');
      assert.equal(client.closeCode, null);
      assert.deepEqual(await client.request({ op: 'ping' }, 'pong'), { type: 'pong' });
      // A page/API request completes its request in time: answered, not cut.
      assert.equal((await fetch(`http://127.0.0.1:${port}/nothing-here`)).status, 404);
      await server.close();
    });

    test('subscribes beyond the burst are refused with an error, the connection stays and other ops still work', async () => {
      const server = make({ port: 0, maxSubscribesPerSecond: 0.5, subscribeBurst: 3 });
      const { port } = await server.start();
      const c = await TestClient.connect(port);
      for (let i = 0; i < 5; i++) c.send({ op: 'subscribe', channel: 'bars', symbols: [`S${i}`] });
      await c.until(() => c.received.length === 5, 'five replies');
      assert.deepEqual(
        c.received.map((m) => m.type),
        ['subscribed', 'subscribed', 'subscribed', 'error', 'error'],
      );
      assert.match(String(c.received[3]?.['error']), /^subscribe rate limit: at most 0\.5 subscribe\/unsubscribe per second/);
      assert.deepEqual(c.received[2], { type: 'subscribed', channel: 'bars', symbols: ['S0', 'S1', 'S2'] });
      await waitUntil(() => server.stats().subscribeLimited === 2, 'two refusals counted');
      assert.deepEqual(await c.request({ op: 'ping' }, 'pong'), { type: 'pong' });
      assert.equal(c.closeCode, null);
      // The refused subscriptions were not applied: S3 gets nothing, S0 does.
      server.publish('bars', 'S3', { n: 3 });
      server.publish('bars', 'S0', { n: 0 });
      const bar = await c.next((m) => m.type === 'bar', 'a bar');
      assert.deepEqual(bar, { type: 'bar', data: { n: 0 } });
      await server.close();
    });
  });
}

describe('IsolatedSignalServer', () => {
  test('forwards page/API requests to the handler on the processing thread, WebSocket on the same port', async () => {
    let seen = '';
    const server = new IsolatedSignalServer({
      port: 0,
      http: (req, res) => {
        seen = `${req.method ?? ''} ${req.url ?? ''} ${String(req.headers['x-probe'])} ${String(req.headers['x-forwarded-for'])}`;
        res.writeHead(201, { 'content-type': 'application/json', 'x-from': 'main' });
        res.end('{"ok":true}');
      },
    });
    const { port } = await server.start();
    const res = await fetch(`http://127.0.0.1:${port}/api/symbols?x=1`, { headers: { 'x-probe': 'p', 'x-forwarded-for': '6.6.6.6' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-from'), 'main');
    assert.equal(await res.text(), '{"ok":true}');
    assert.equal(seen, 'GET /api/symbols?x=1 p 127.0.0.1'); // the client's address, not the one it claimed
    const c = await TestClient.connect(port);
    await c.request({ op: 'subscribe', channel: 'signals', symbols: ['BTC'] }, 'subscribed');
    for (let seq = 0; seq < 100; seq++) server.publish('signals', seq % 2 === 0 ? 'BTC' : 'ETH', { seq });
    await c.until(() => signalsOf(c) === 50, '50 BTC signals');
    assert.deepEqual(
      c.received.filter((m) => m.type === 'signal').map((m) => (m['data'] as { seq: number }).seq),
      Array.from({ length: 50 }, (_, i) => 2 * i),
    );
    await waitUntil(() => server.stats().messagesSent === 51, 'the worker to count 51 frames (reply + 50)');
    await server.close();
    assert.equal(c.closeCode, 1001);
  });

  test('the handler keys clients by the address the worker saw, never by a header the client sent', async () => {
    // Per-client limits (the page's HTTP rate limit) read clientAddressOf: behind the worker every
    // request comes from the forwarder's loopback socket, so without the worker's word all clients
    // would share one budget; a client-sent x-forwarded-for must not buy a fresh one either.
    const from = (port: number, localAddress: string): Promise<string> =>
      new Promise((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/who', localAddress, headers: { 'x-forwarded-for': '6.6.6.6' } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
    const http = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
      res.end(clientAddressOf(req));
    };
    const isolated = new IsolatedSignalServer({ port: 0, http });
    const { port } = await isolated.start();
    const viaWorker = [await from(port, '127.0.0.2'), await from(port, '127.0.0.1')];
    await isolated.close();
    const inProcess = new SignalServer({ port: 0, http });
    const started = await inProcess.start();
    const direct = await from(started.port, '127.0.0.2');
    await inProcess.close();
    assert.deepEqual(viaWorker, ['127.0.0.2', '127.0.0.1']);
    assert.equal(direct, '127.0.0.2');
  });

  test('close() returns with a half-sent request and a paused client still connected', async () => {
    const server = new IsolatedSignalServer({ port: 0, handshakeTimeoutMs: 600_000, closeTimeoutMs: 200 });
    const { port } = await server.start();
    const partial = await rawConnect(port);
    partial.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const partialClosed = closedBy(partial);
    const paused = await TestClient.connect(port);
    await paused.request({ op: 'subscribe', channel: 'signals' }, 'subscribed');
    paused.ws.pause();
    for (let seq = 0; seq < 1000; seq++) server.publish('signals', 'BTC', { seq, pad: 'x'.repeat(500) });
    await server.close(); // the test would time out if the worker waited on either connection
    await partialClosed;
  });

  test('an occupied port fails start with the listening error code', async () => {
    const first = new SignalServer({ port: 0 });
    const { port } = await first.start();
    const second = new IsolatedSignalServer({ port });
    await assert.rejects(second.start(), (e: Error & { code?: string }) => e.code === 'EADDRINUSE');
    await first.close();
  });
});
