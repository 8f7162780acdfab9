import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir, type CliResult } from '../../helpers/cli.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';

// `tickflow model confluence` and the bundle on the replay path, with members imported from the
// committed ONNX fixture (test/fixtures/onnx, four core features) at 5m and at 1h: quick to make,
// and real models as far as the graph is concerned.
const ONNX = join(import.meta.dirname, '..', '..', 'fixtures', 'onnx', 'gbdt-4.onnx');
const FEATURES = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'onnx', 'reference.json'), 'utf8')) as { features: string[] }).features.join(',');
const tmp = tempDir('tickflow-confluence-');
after(() => tmp.cleanup());
const m5 = join(tmp.dir, 'm5');
const m1h = join(tmp.dir, 'm1h');
const bundle = join(tmp.dir, 'bundle');
const log = join(tmp.dir, 'log');

describe('tickflow model confluence', () => {
  before(async () => {
    // The two imports and the log in one process (test/helpers/cli-batch.ts); one day of BTC is 288
    // 5m bars and 24 1h bars, enough for both members to vote (it was two days).
    const made = await runCliBatch([
      ...([[m5, '5m'], [m1h, '1h']] as const).map(([dir, interval]) => ['model', 'import', '--onnx', ONNX, '--features', FEATURES, '--interval', interval, '--out', dir]),
      ['generate', '--out', log, '--days', '1', '--seed', '5', '--symbols', 'BTC'],
    ]);
    for (const r of made) assert.equal(r.code, 0, r.stderr);
  });

  test('writes a bundle: JSON on stdout, confluence.json with the members copied in', async () => {
    const r = await runCli(['model', 'confluence', '--models', `5m=${m5},1h=${m1h}`, '--k', '2', '--weights', '1,0.5', '--out', bundle]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json['timeframes'], r.json['k'], r.json['weights'], r.json['source']], [['5m', '1h'], 2, [1, 0.5], 'configured']);
    const b = JSON.parse(readFileSync(join(bundle, 'confluence.json'), 'utf8')) as { modelId: string; members: { dir: string }[] };
    assert.equal(b.modelId, r.json['modelId']);
    for (const m of b.members) assert.ok(existsSync(join(bundle, m.dir, 'manifest.json')));
  });

  const usage: [string, string[], RegExp][] = [
    ['one timeframe', ['--models', `5m=${m5}`], /--models .*must list at least two timeframes/],
    ['an unknown interval', ['--models', `5m=${m5},2h=${m1h}`], /--models .*"2h=.*" is not <interval>=<model dir>/],
    ['a directory without a model', ['--models', `5m=${m5},1h=${tmp.dir}`], /--models .*holds no model/],
    ['an interval twice', ['--models', `5m=${m5},5m=${m5}`], /--models .*lists an interval twice/],
    ['a member trained on another interval', ['--models', `5m=${m5},1h=${m5}`], /--models 1h=.*was trained on 5m bars, not 1h/],
    ['the base not the finest', ['--models', `1h=${m1h},5m=${m5}`], /--models: the first timeframe is the base one and must be the finest/],
    ['k above the timeframes', ['--models', `5m=${m5},1h=${m1h}`, '--k', '3'], /--k 3: exceeds the 2 timeframes/],
    ['k not a whole number', ['--models', `5m=${m5},1h=${m1h}`, '--k', '1.5'], /--k "1.5": must be a whole number/],
    ['weights of the wrong count', ['--models', `5m=${m5},1h=${m1h}`, '--weights', '1,2,3'], /--weights: 3 weights for 2 timeframes/],
    ['weights not numbers', ['--models', `5m=${m5},1h=${m1h}`, '--weights', '1,x'], /--weights "1,x": must be equal, learned, or finite numbers/],
    ['learned without a log', ['--models', `5m=${m5},1h=${m1h}`, '--weights', 'learned'], /--weights learned needs the log to learn from/],
  ];
  // The usage errors, the refusals and --help below run in ONE process (test/helpers/cli-batch.ts),
  // started by the first test that needs a result, after the bundle exists; each case is checked
  // as its own process would be (code, stdout, stderr).
  const cases: string[][] = [];
  const queue = (args: string[]): number => cases.push(args) - 1;
  let batch: Promise<CliResult[]> | undefined;
  const result = async (i: number): Promise<CliResult> => (await (batch ??= runCliBatch(cases)))[i]!;
  for (const [what, args, message] of usage) {
    const i = queue(['model', 'confluence', ...args, '--out', join(tmp.dir, `never-${what.replace(/\W+/g, '-')}`)]);
    test(`usage error, exit 2, one line: ${what}`, async () => {
      const r = await result(i);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  const nonEmpty = queue(['model', 'confluence', '--models', `5m=${m5},1h=${m1h}`, '--out', bundle]);
  const help = queue(['model', 'confluence', '--help']);
  test('a non-empty --out is refused; --help prints the usage', async () => {
    const r = await result(nonEmpty);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--out .*exists and is not empty/);
    const h = await result(help);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /usage: tickflow model confluence --models <5m=<dir>,1h=<dir>>/);
  });

  test('replay backtest takes the bundle: twice over the same log gives the same sha256', async () => {
    const run = (out: string) => runCli(['replay', 'backtest', '--log', log, '--model', bundle, '--out', join(tmp.dir, out)]);
    const [a, b] = [await run('bt-a'), await run('bt-b')];
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(String(a.json['sha256']), /^[0-9a-f]{64}$/);
    assert.equal(a.json['sha256'], b.json['sha256']);
    const report = JSON.parse(readFileSync(join(tmp.dir, 'bt-a', 'report.json'), 'utf8')) as { modelId: string };
    assert.equal(report.modelId, JSON.parse(readFileSync(join(bundle, 'confluence.json'), 'utf8')).modelId);
  });

  const plainRun = queue(['replay', 'confluence', '--log', log, '--model', m5]);
  const onnxRun = queue(['replay', 'confluence', '--log', log, '--model', bundle]);
  test('replay confluence refuses a plain model, and a bundle whose members have no known training period', async () => {
    const plain = await result(plainRun);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /not a confluence bundle/);
    const onnx = await result(onnxRun);
    assert.equal(onnx.code, 2);
    assert.match(onnx.stderr, /imported from ONNX: its training period is unknown/);
  });
});
