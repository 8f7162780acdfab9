import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { runCli, spawnCli, tempDir } from '../helpers/cli.ts';

/**
 * A program subscribed over WebSocket during `start` receives exactly the live signals of the
 * symbol it asked for, as JSON equal to what the log recorded.
 */
test('start publishes live signals to a WebSocket subscriber, filtered by symbol', async () => {
  const tmp = tempDir('tickflow-ws-');
  after(() => tmp.cleanup());
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');
  // --history-days 0.5 keeps the first-run training small (test/helpers/cli.ts's trainFeedModel
  // trains on 0.4 days); the model is whatever it learns. Speed 1200: the live hour takes 3 s of
  // wall, a 5-minute bar every 0.25 s, 12 per symbol (the test asks for 5 of BTC's).
  const child = spawnCli(['start', '--log', log, '--model', model, '--history-days', '0.5', '--stop-after', '1h', '--speed', '1200', '--port', '0']);
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const received: { type: string; data?: { symbol: string; id: string } }[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /ws:\/\/localhost:(\d+)\/ws/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`start exited before the WebSocket was up:\n${stderr}`)));
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('message', (m: Buffer) => received.push(JSON.parse(m.toString()) as { type: string; data?: { symbol: string; id: string } }));
  ws.send('{"op":"subscribe","channel":"signals","symbols":["BTC"]}');
  ws.send('not json');
  assert.equal(await exited, 0, stderr);
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { liveSignals: number };
  const signals = received.filter((m) => m.type === 'signal');
  assert.ok(received.some((m) => m.type === 'subscribed'));
  assert.ok(received.some((m) => m.type === 'error'), 'a malformed message gets an error reply');
  assert.ok(signals.length >= 5, `got ${signals.length} signals`);
  assert.ok(signals.every((s) => s.data?.symbol === 'BTC'));
  // Both symbols signal every 5 minutes, so BTC is about half of the live signals.
  assert.ok(signals.length <= summary.liveSignals);
  const v = await runCli(['verify', '--log', log, '--model', model]);
  assert.equal(v.json.identical, true);
  ws.close();
});
