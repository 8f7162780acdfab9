import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CORE_FEATURE_SET } from '../../../processors/features/full/index.ts';
import type { Predictor } from '../../../processors/types.ts';
import { ReplayProgress, replayTotal } from '../../../hosts/replay/replay-progress.ts';
import { verifyLog } from '../../../research/verify.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { recordingLogger } from '../../helpers/log-records.ts';

/**
 * `verify` reports the progress of its two replays through the logger it is given (stderr in the
 * CLI), by wall time, and its result (the CLI's stdout JSON) is the same with or without it.
 */
let dir = '';
let el: EmbeddedLog;

/** A deterministic stand-in for a model on the core set: softmax of fixed weights on the first features. */
const predictor: Predictor = {
  modelId: 'progress-test',
  featureSetHash: CORE_FEATURE_SET.hash,
  featureNames: CORE_FEATURE_SET.names.slice(0, 4),
  predict(row) {
    const z = [0, 0.1, 0].map((b, c) => b + row.reduce((s, x, i) => s + Math.tanh(x) * ((i + c) % 3 - 1), 0));
    const e = z.map((x) => Math.exp(x));
    const s = (e[0] as number) + (e[1] as number) + (e[2] as number);
    return [(e[0] as number) / s, (e[1] as number) / s, (e[2] as number) / s];
  },
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickflow-verify-progress-'));
  el = await openEmbeddedLog(join(dir, 'log'));
  await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.2, seed: 2031, signalStrength: 1 }));
});
after(async () => {
  await el.close();
  rmSync(dir, { recursive: true, force: true });
});

test('verify logs progress lines for both replays (inputs done / total, rate) and returns the same result as without', async () => {
  const base = { log: el.log, decode: (t: string, b: Uint8Array) => el.serde.decodeAs(t, b), encode: (t: string, v: object) => el.serde.encode(t, v), predictor };
  const quiet = await verifyLog(base);
  const { logger, records } = recordingLogger();
  const loud = await verifyLog({ ...base, logger, progressMs: 0 });
  assert.deepStrictEqual(loud, quiet, 'progress does not change the result');
  assert.ok(quiet.signals > 0, `signals ${quiet.signals}`);

  const total = await replayTotal(el.log);
  assert.ok(total > 20_000, `inputs ${total}`);
  const progress = records.filter((r) => r.event === 'progress');
  for (const phase of ['verify: replay 1 of 2', 'verify: replay 2 of 2']) {
    const lines = progress.filter((r) => r['phase'] === phase);
    const running = lines.filter((r) => r['done'] === false);
    // With no minimum interval, one line per 10,000 inputs, then the closing one.
    assert.equal(running.length, Math.floor(total / 10_000), phase);
    assert.deepEqual(running.map((r) => r['inputs']), running.map((_, i) => (i + 1) * 10_000));
    for (const r of running) {
      assert.equal(r['total'], total);
      assert.ok(typeof r['inputsPerSec'] === 'number' && r['inputsPerSec'] > 0);
      assert.match(r.msg, new RegExp(`^${phase}: [\\d,]+ of ${total.toLocaleString('en-US')} inputs \\(\\d+\\.\\d %\\), [\\d,]+ inputs/s`));
    }
    const closing = lines.filter((r) => r['done'] === true);
    assert.equal(closing.length, 1);
    assert.equal(closing[0]?.['inputs'], total, 'the replay read every input the topics hold');
  }
});

test('ReplayProgress reports at most once per interval of wall time, with the rate and the time left', () => {
  const { logger, records } = recordingLogger();
  let now = 0;
  const p = new ReplayProgress({ logger, label: 'replay', total: 5_000, everyMs: 1_000, now: () => now });
  now = 500;
  p.update(500);
  assert.equal(records.length, 0, 'not before the interval');
  now = 1_000;
  p.update(1_000);
  now = 1_500;
  p.update(1_500);
  now = 2_500;
  p.update(2_000);
  now = 4_000;
  p.finish(5_000);
  // 1,000 inputs in 1 s: 1,000/s, 4,000 left -> 4 s; 2,000 in 2.5 s: 800/s, 3,000 left -> 4 s (3.75 rounded up).
  assert.deepEqual(records.map((r) => [r['inputs'], r['inputsPerSec'], r['secondsLeft'], r['done']]), [[1_000, 1_000, 4, false], [2_000, 800, 4, false], [5_000, 1_250, null, true]]);
  assert.deepEqual(records.map((r) => r.msg), [
    'replay: 1,000 of 5,000 inputs (20.0 %), 1,000 inputs/s, about 4 s left',
    'replay: 2,000 of 5,000 inputs (40.0 %), 800 inputs/s, about 4 s left',
    'replay: done, 5,000 inputs in 4.0 s, 1,250 inputs/s',
  ]);
});
