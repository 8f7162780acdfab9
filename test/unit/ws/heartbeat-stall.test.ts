import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SignalServer } from '../../../sinks/ws/index.ts';
import { TestClient, waitUntil } from './ws-test-client.ts';

/**
 * The pong deadline judged on a stalled server: the server's thread is blocked for longer than
 * maxBacklogMs again and again (a loaded machine, a long task) while a client in another thread
 * keeps reading and answering pings. Its pongs arrive during each stall, but the heartbeat timer
 * runs before the event loop reads them: the client must not be cut for the server's own stall.
 * A paused client beside it is still terminated.
 */

/** A WebSocket client in its own thread (it keeps reading while this one is blocked); reports what it saw on exit. */
function readerInThread(port: number): { done: Promise<{ frames: number; closeCode: number | null }>; stop: () => void; ready: Promise<void> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const WebSocket = require(workerData.ws);
    const ws = new WebSocket('ws://127.0.0.1:' + workerData.port + '/ws');
    let frames = 0, closeCode = null;
    ws.on('message', (d) => {
      const t = d.toString();
      if (t.startsWith('{"type":"subscribed"')) parentPort.postMessage('ready'); else frames++;
    });
    ws.on('open', () => ws.send('{"op":"subscribe","channel":"signals"}'));
    ws.on('close', (c) => { closeCode = c; });
    parentPort.on('message', () => { parentPort.postMessage({ frames, closeCode }); ws.terminate(); parentPort.close(); });
  `;
  const worker = new Worker(code, { eval: true, workerData: { port, ws: createRequire(import.meta.url).resolve('ws') } });
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const done = new Promise<{ frames: number; closeCode: number | null }>((resolve, reject) => {
    worker.on('message', (m: unknown) => (m === 'ready' ? resolveReady() : resolve(m as { frames: number; closeCode: number | null })));
    worker.on('error', reject);
  });
  return { done, ready, stop: () => worker.postMessage('stop') };
}


/**
 * Blocks this thread for `ms` (a stalled event loop: no timer, socket or message is handled
 * meanwhile). Atomics.wait blocks it without spinning: the stall costs no CPU (a busy loop here
 * burnt 8 CPU s per run), and the reader thread gets the core to answer pings.
 */
const stallCell = new Int32Array(new SharedArrayBuffer(4));
function block(ms: number): void {
  const end = performance.now() + ms;
  for (let left = ms; left > 0; left = end - performance.now()) Atomics.wait(stallCell, 0, 0, left);
}

describe('SignalServer heartbeat on a stalled server', () => {
  test('a reading client survives stalls longer than maxBacklogMs; a paused one is still terminated', async () => {
    const server = new SignalServer({ port: 0, heartbeatMs: 50, maxBacklogMs: 250 });
    const { port } = await server.start();
    const reader = readerInThread(port);
    await reader.ready;
    const paused = await TestClient.connect(port);
    await paused.request({ op: 'subscribe', channel: 'signals' }, 'subscribed');
    paused.ws.pause();
    // 8 stalls of 1 s (each four times maxBacklogMs), with one turn of the event loop between
    // them: the heartbeat pings in that turn, the pong arrives during the next stall (the reader
    // has a whole stall to answer, so a loaded machine does not make it late).
    let seq = 0;
    for (let i = 0; i < 8; i++) {
      server.publish('signals', 'BTC', { seq: seq++ });
      block(1_000);
      await new Promise((r) => setImmediate(r));
    }
    await waitUntil(() => server.stats().terminated >= 1, 'the paused client to be terminated', 10_000);
    reader.stop();
    const seen = await reader.done;
    assert.equal(seen.closeCode, null, 'the reading client was not cut');
    assert.equal(seen.frames, seq);
    assert.equal(server.stats().terminated, 1, 'only the paused client');
    await server.close();
  });
});
