import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Subject } from 'rxjs';
import { ModelError } from '../../../model/errors.ts';
import { importOnnx } from '../../../model/onnx/onnx-import.ts';
import { loadOnnxPredictor } from '../../../model/onnx/onnx-predictor.ts';
import { DETERMINISTIC_SESSION_OPTIONS, OnnxSession } from '../../../model/onnx/onnx-session.ts';
import { buildGraph, featureSetById } from '../../../processors/graph.ts';
import { newGraphStats, type GraphEvent } from '../../../processors/graph-events.ts';
import type { InputEvent, Predictor } from '../../../processors/types.ts';
import type { Signal } from '../../../schemas/index.ts';
import type { CliResult } from '../../helpers/cli.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';

// Reference: test/fixtures/onnx/make_onnx_reference.py (scikit-learn 1.5.2 + skl2onnx 1.18.0, pinned
// there) wrote gbdt-4.onnx and reference.json: scikit-learn's own predict_proba for 40 rows, in
// tickflow's class order UP, FLAT, DOWN (scikit-learn's columns are DOWN, FLAT, UP).
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'onnx');
const GBDT = join(FIXTURES, 'gbdt-4.onnx');
const ref = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as { features: string[]; rows: number[][]; probabilities: number[][] };
const CORE = featureSetById('core');
/** float32 arithmetic inside onnxruntime against scikit-learn's float64: agreement to ~1e-7 relative; 1e-6 absolute. */
const FLOAT32_TOLERANCE = 1e-6;

const tmp = mkdtempSync(join(tmpdir(), 'tickflow-onnx-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

async function imported(name: string): Promise<string> {
  const out = join(tmp, name);
  await importOnnx({ bytes: bytes(GBDT), features: ref.features, featureSet: CORE, out });
  return out;
}

describe('ONNX import (model/onnx)', () => {
  test('an imported scikit-learn GBDT serves the probabilities scikit-learn gives, in UP/FLAT/DOWN order', async () => {
    const dir = await imported('ok');
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { family: string; featureNames: string[]; onnx: { columns: string[]; classLabels: string[] }; runtime: { version: string; intraOpNumThreads: number } };
    assert.equal(m.family, 'onnx');
    assert.deepEqual(m.featureNames, ref.features);
    assert.deepEqual(m.onnx.classLabels, ['DOWN', 'FLAT', 'UP']);
    assert.deepEqual(m.onnx.columns, ['DOWN', 'FLAT', 'UP']);
    assert.equal(m.runtime.intraOpNumThreads, 1);
    const p = await loadOnnxPredictor(dir);
    try {
      assert.equal(p.featureSetHash, CORE.hash);
      for (const [i, row] of ref.rows.entries()) {
        const got = p.predict(Float64Array.from(row));
        const want = ref.probabilities[i] as number[];
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c]! - want[c]!) < FLOAT32_TOLERANCE, `row ${i} class ${c}: ${got[c]} vs scikit-learn ${want[c]}`);
        assert.ok(Math.abs(got[0] + got[1] + got[2] - 1) < 1e-12);
      }
    } finally {
      p.dispose();
    }
  });

  test('the synchronous native run gives the public async InferenceSession.run outputs bit for bit', async () => {
    const public_ = await InferenceSession.create(GBDT, DETERMINISTIC_SESSION_OPTIONS);
    const sync = new OnnxSession(bytes(GBDT));
    try {
      const x = Float32Array.from(ref.rows.flat());
      const t = new Tensor('float32', x, [ref.rows.length, ref.features.length]);
      const a = (await public_.run({ X: t }, ['probabilities']))['probabilities']!.data as Float32Array;
      const b = sync.run('X', t, 'probabilities') as Float32Array;
      assert.equal(a.length, ref.rows.length * 3);
      assert.deepEqual(Array.from(b), Array.from(a));
    } finally {
      sync.dispose();
      await public_.release();
    }
  });

  test('refused: a feature not in the feature set, a feature count the graph does not take, a wrong output shape, a file that is not ONNX', async () => {
    const refused = (code: string, re: RegExp) => (e: unknown) => e instanceof ModelError && e.code === code && re.test(e.message);
    await assert.rejects(importOnnx({ bytes: bytes(GBDT), features: ['rsi_14', 'ret_1', 'vol_ratio_20', 'not_a_feature'], featureSet: CORE, out: join(tmp, 'r1') }), refused('FEATURE_LIST_INVALID', /not_a_feature is not in it/));
    await assert.rejects(importOnnx({ bytes: bytes(GBDT), features: ['rsi_14', 'ret_1', 'ret_1', 'atr_14_pct'], featureSet: CORE, out: join(tmp, 'r2') }), refused('FEATURE_LIST_INVALID', /ret_1 listed twice/));
    await assert.rejects(importOnnx({ bytes: bytes(GBDT), features: ['rsi_14', 'ret_1', 'vol_ratio_20'], featureSet: CORE, out: join(tmp, 'r3') }), refused('ONNX_INVALID', /takes 4 features but --features lists 3/));
    await assert.rejects(importOnnx({ bytes: bytes(join(FIXTURES, 'binary-4.onnx')), features: ref.features, featureSet: CORE, out: join(tmp, 'r4') }), refused('ONNX_INVALID', /no output is a float tensor \[N, 3\]/));
    await assert.rejects(importOnnx({ bytes: new TextEncoder().encode('symbol,barEnd\nX,1\n'), features: ref.features, featureSet: CORE, out: join(tmp, 'r5') }), refused('ONNX_INVALID', /not an ONNX model/));
  });

  test('a model directory whose model.onnx was swapped is refused at load', async () => {
    const dir = await imported('swapped');
    writeFileSync(join(dir, 'model.onnx'), readFileSync(join(FIXTURES, 'binary-4.onnx')));
    await assert.rejects(loadOnnxPredictor(dir), (e: unknown) => e instanceof ModelError && e.code === 'MODEL_ID_MISMATCH');
  });

  test('a replay through the graph with the imported model, run twice, gives identical signals', async () => {
    const dir = await imported('replay');
    const once = async (): Promise<Signal[]> => {
      const p = await loadOnnxPredictor(dir);
      try {
        return replay(p).filter((e): e is Extract<GraphEvent, { kind: 'signal' }> => e.kind === 'signal').map((e) => e.signal);
      } finally {
        p.dispose();
      }
    };
    const a = await once();
    const b = await once();
    assert.ok(a.length >= 5, `expected signals once the features warmed up, got ${a.length}`);
    assert.ok(new Set(a.map((s) => s.pUp)).size > 1, 'probabilities vary with the bars');
    assert.deepEqual(b, a);
  });

  test('tickflow model import: JSON on success; a mismatched feature list is one line, exit 2', async () => {
    // Both cases in one CLI process (test/helpers/cli-batch.ts, D97).
    const [ok, bad] = (await runCliBatch([
      ['model', 'import', '--onnx', GBDT, '--features', ref.features.join(','), '--out', join(tmp, 'cli')],
      ['model', 'import', '--onnx', GBDT, '--features', 'rsi_14,ret_1,vol_ratio_20,nope', '--out', join(tmp, 'cli-bad')],
    ])) as [CliResult, CliResult];
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json['family'], 'onnx');
    assert.deepEqual(ok.json['columns'], ['DOWN', 'FLAT', 'UP']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /--features does not match feature set core-v1: nope is not in it/);
  });
});

/** Six hours of trades every 10 s on a slow wave with noise from a fixed sequence (no chains: the 4 features are bar features). */
function replay(predictor: Predictor): GraphEvent[] {
  const stats = newGraphStats();
  const src = new Subject<InputEvent>();
  const out: GraphEvent[] = [];
  let failure: unknown = null;
  buildGraph(src, { stats, predictor }).subscribe({ next: (e) => out.push(e), error: (e: unknown) => (failure = e) });
  let offset = 0;
  for (let t = 0; t < 6 * 3_600_000; t += 10_000) {
    const k = t / 10_000;
    const price = 100 + 3 * Math.sin(t / 2_400_000) + 0.4 * Math.sin(k * 1.7) + ((k * 7919) % 13) * 0.01;
    src.next({ kind: 'trade', pos: { topic: 'trades', partition: 0, offset: offset++ }, value: { tsEvent: t, tsInit: t + 10, symbol: 'X', price, size: 1 + (k % 5), side: k % 3 === 0 ? 'SELL' : 'BUY', tradeId: k } });
  }
  src.complete();
  if (failure !== null) throw failure as Error;
  return out;
}
