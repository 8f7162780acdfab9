import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openLogFrom, type LogAccess } from '../../cli/log-access.ts';
import { loadModel } from '../../cli/load-model.ts';
import { CORE_FEATURE_SET } from '../../processors/features/full/index.ts';
import { replayBacktest } from '../../research/backtest-replay.ts';
import { walkForward, type WalkForwardResult } from '../../research/walk-forward.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

/**
 * Walk-forward's out-of-sample signals name the option contract (D52) exactly as a replay of the
 * same window's model over the same log does (research/backtest-replay.ts, what `replay backtest`
 * runs): the walk-forward scores its vectors outside the graph, so the chain each vector was joined
 * with must reach its infer (D70). The synthetic market writes option chains for every symbol.
 */
describe('walk-forward signals name contracts', () => {
  const tmp = tempDir('tickflow-wf-contract-');
  const log = join(tmp.dir, 'hist');
  let access: LogAccess;
  let wf: WalkForwardResult;
  after(async () => {
    await access?.close();
    tmp.cleanup();
  });

  before(async () => {
    const g = await runCli(['generate', '--out', log, '--symbols', 'BTC', '--days', '2', '--seed', '11', '--signal-strength', '2']);
    assert.equal(g.code, 0, g.stderr);
    access = await openLogFrom({ log }, { readOnly: true });
    wf = await walkForward({ log: access.log, decode: access.decode, dir: join(tmp.dir, 'wf'), trainDays: 1, testDays: 0.5, family: 'logistic', featureSet: CORE_FEATURE_SET, seed: 42, config: { randomDraws: 0, feeBps: 0, slippageBps: 0 }, policy: { feeBps: 0, slippageBps: 0 } });
  });

  test('BUY/SELL signals name a call/put, and each window matches a replay of its model bar for bar', async () => {
    const trades = wf.signals.filter((s) => s.action !== 'HOLD');
    assert.ok(trades.length > 0, 'the windows trade');
    const named = trades.filter((s) => s.contract !== null && s.contract !== undefined);
    assert.ok(named.length > 0, `${trades.length} BUY/SELL signals, none names a contract`);
    for (const s of named) assert.equal(s.contract?.right, s.action === 'BUY' ? 'CALL' : 'PUT');
    assert.equal(wf.windows.reduce((n, w) => n + w.contracts, 0), wf.signals.filter((s) => s.contract != null).length);
    for (const w of wf.windows) {
      const predictor = await loadModel(join(tmp.dir, 'wf', 'windows', String(w.index), 'model'));
      const replayed = (await replayBacktest({ log: access.log, decode: access.decode, predictor, config: { randomDraws: 0 } })).signals.filter((s) => s.barEnd >= w.testFrom && s.barEnd < w.testTo);
      const ours = wf.signals.filter((s) => s.barEnd >= w.testFrom && s.barEnd < w.testTo);
      assert.ok(ours.length > 0, `window ${w.index} has signals`);
      // Whole signals, contract and reason included: the same bars, the same decisions, the same contract.
      assert.deepEqual(ours, replayed, `window ${w.index}`);
    }
  });
});
