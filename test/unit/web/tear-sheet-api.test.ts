import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { dashboardHandler, findTearSheet, loadPageAssets, TopicHistory } from '../../../sinks/web/index.ts';
import { TearSheetGenerator, type RunResult } from '../../../sinks/web/tear-sheet-generator.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/**
 * /api/tear-sheet and /report with a generator: one generation at a time, cached by (model id,
 * log end offset), 503 while busy or when the process cannot generate, 404 without a model.
 * The backtest run is a function the test releases by hand (the real run, `tickflow replay
 * backtest` in a child process beside a live `start`, is in test/e2e/dashboard-browser.test.ts).
 */
const MODEL = '0123456789abcdef';

interface Fixture {
  server: Server;
  port: number;
  runs: { outDir: string; release: (r: RunResult) => void }[];
  setLogEnd: (n: number) => void;
  generator: TearSheetGenerator;
}

async function serve(el: EmbeddedLog, modelDir: string, o: { withGenerator: boolean; model: boolean }): Promise<Fixture> {
  let logEnd = 100;
  const runs: Fixture['runs'] = [];
  const generator = new TearSheetGenerator({
    modelDir,
    logEnd: () => Promise.resolve(logEnd),
    run: (outDir) =>
      new Promise<RunResult>((resolve) => {
        runs.push({
          outDir,
          release: (r) => {
            if (r.ok) {
              writeFileSync(join(outDir, 'report.json'), JSON.stringify({ modelId: MODEL }));
              writeFileSync(join(outDir, 'report.html'), `<!doctype html><title>sheet ${runs.length}</title>`);
            }
            resolve(r);
          },
        });
      }),
  });
  const handler = dashboardHandler({
    history: new TopicHistory(el.log, (t, b) => el.serde.decodeAs(t, b)),
    assets: loadPageAssets(),
    model: () => Promise.resolve(o.model ? { modelId: MODEL } : null),
    health: () => Promise.resolve({ status: 'ok' }),
    token: '',
    tearSheet: (id) => findTearSheet(modelDir, id),
    generator: o.withGenerator ? generator : null,
  });
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return { server, port: addr.port, runs, setLogEnd: (n) => (logEnd = n), generator };
}

async function get(port: number, path: string): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* HTML */
  }
  return { status: res.status, json, text, headers: res.headers };
}

describe('the tear sheet on request', () => {
  let dir: string;
  let el: EmbeddedLog;
  let f: Fixture;
  let modelDir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-sheet-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    f = await serve(el, modelDir, { withGenerator: true, model: true });
  });
  after(async () => {
    await new Promise((r) => f.server.close(r));
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('none yet: /report is a 404 that says how to generate one; the status is idle', async () => {
    const r = await get(f.port, '/report');
    assert.equal(r.status, 404);
    assert.match(String(r.json['error']), /no backtest tear sheet of model 0123456789abcdef.*generate it here: GET \/api\/tear-sheet\?generate=true/);
    const st = await get(f.port, '/api/tear-sheet');
    assert.equal(st.status, 200);
    assert.equal(st.json['state'], 'idle');
    assert.equal(st.json['onDisk'], null);
  });

  test('generate: 202, a second request while it runs is a 503 with Retry-After; then /report serves it', async () => {
    const first = await get(f.port, '/api/tear-sheet?generate=true');
    assert.equal(first.status, 202);
    assert.deepEqual(first.json['key'], { modelId: MODEL, logEnd: 100 });
    await waitFor(() => 'the run started', () => f.runs.length === 1);
    const busy = await get(f.port, '/api/tear-sheet?generate=true');
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '5');
    assert.match(String(busy.json['error']), /being generated \(model 0123456789abcdef, log end 100, started .*\): one at a time/);
    assert.equal((await get(f.port, '/api/tear-sheet')).json['state'], 'generating');
    assert.equal(f.runs.length, 1, 'no second run');
    f.runs[0]?.release({ ok: true });
    await f.generator.settled();
    const st = await get(f.port, '/api/tear-sheet');
    assert.equal(st.json['state'], 'ready');
    assert.deepEqual(st.json['onDisk'], { modelId: MODEL, logEnd: 100 });
    const sheet = await get(f.port, '/report');
    assert.equal(sheet.status, 200);
    assert.match(sheet.text, /<title>sheet 1<\/title>/);
  });

  test('cached by (model, log end): the same end serves the sheet, a longer log generates a new one', async () => {
    const again = await get(f.port, '/api/tear-sheet?generate=true');
    assert.equal(again.status, 200);
    assert.equal(again.json['cached'], true);
    assert.equal(f.runs.length, 1);
    f.setLogEnd(250);
    const grown = await get(f.port, '/api/tear-sheet?generate=true');
    assert.equal(grown.status, 202);
    assert.deepEqual(grown.json['key'], { modelId: MODEL, logEnd: 250 });
    await waitFor(() => 'the second run started', () => f.runs.length === 2);
    // While it runs, the previous sheet is still served whole.
    assert.match((await get(f.port, '/report')).text, /sheet 1/);
    f.runs[1]?.release({ ok: true });
    await f.generator.settled();
    assert.match((await get(f.port, '/report')).text, /sheet 2/);
  });

  test('a failed run: the status says why, the previous sheet stays', async () => {
    f.setLogEnd(300);
    assert.equal((await get(f.port, '/api/tear-sheet?generate=true')).status, 202);
    await waitFor(() => 'the third run started', () => f.runs.length === 3);
    f.runs[2]?.release({ ok: false, reason: 'the backtest failed (exit 2): the model gave no signals' });
    await f.generator.settled();
    const st = await get(f.port, '/api/tear-sheet');
    assert.equal(st.json['state'], 'failed');
    assert.equal(st.json['reason'], 'the backtest failed (exit 2): the model gave no signals');
    assert.match((await get(f.port, '/report')).text, /sheet 2/);
  });

  test('bad parameters: 400 with the reason', async () => {
    const r = await get(f.port, '/api/tear-sheet?generate=yes');
    assert.equal(r.status, 400);
    assert.equal(r.json['error'], 'generate must be true or false');
    assert.match(String((await get(f.port, '/api/tear-sheet?x=1')).json['error']), /unknown parameter\(s\): x/);
  });
});

describe('when the tear sheet cannot be generated', () => {
  test('no generator (no log to replay): 503 with the reason; no model: 404', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickflow-sheet-'));
    const el = await openEmbeddedLog(join(dir, 'log'));
    try {
      const a = await serve(el, join(dir, 'm'), { withGenerator: false, model: true });
      const b = await serve(el, join(dir, 'm'), { withGenerator: true, model: false });
      try {
        const r = await get(a.port, '/api/tear-sheet?generate=true');
        assert.equal(r.status, 503);
        assert.match(String(r.json['error']), /cannot generate a tear sheet/);
        const n = await get(b.port, '/api/tear-sheet?generate=true');
        assert.equal(n.status, 404);
        assert.equal(n.json['error'], 'no model loaded in this process');
      } finally {
        await new Promise((r) => a.server.close(r));
        await new Promise((r) => b.server.close(r));
      }
    } finally {
      await el.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
