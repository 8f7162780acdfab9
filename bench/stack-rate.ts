// npm run bench -- stack-rate --log <logDir> --model <modelDir> [--repeat 3] [--json]
// The whole replay pipeline (hosts/replay: merged reader -> bars -> features -> infer -> decision
// -> signals) with a trained model as live and replay load it (loadPredictor: probabilities,
// calibrator, forward-return heads, contributions, model-health reference and decision policy),
// against the same pipeline with no model: a predictor of the same feature set that returns
// constant probabilities and nothing else (no heads, no contributions, no policy), so every stage
// before and after the model runs as it does with one. Each run is its own child process; the two
// modes are interleaved `--repeat` times; rates are trades per CPU-second of the child (user +
// system: on a shared machine the wall clock mostly measures the queue for a core), and the ratio
// model / no model is taken within each round.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openLog, topicSize } from '../cli/log-access.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { loadPredictor } from '../model/predictor.ts';
import type { GraphEvent } from '../processors/graph-events.ts';
import type { Predictor } from '../processors/types.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'stack-rate'),
  options: {
    log: { type: 'string' },
    model: { type: 'string' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    one: { type: 'string' },
  },
});
if (values.log === undefined || values.model === undefined) throw new Error('usage: stack-rate --log <logDir> --model <modelDir> [--repeat N]');

interface Run {
  mode: 'model' | 'no-model';
  trades: number;
  signals: number;
  cpuSeconds: number;
  seconds: number;
  tradesPerCpuSec: number;
  tradesPerSec: number;
}

if (values.one !== undefined) {
  const mode = values.one as Run['mode'];
  const loaded = await loadPredictor(values.model);
  const predictor: Predictor =
    mode === 'model'
      ? loaded
      : { modelId: loaded.modelId, featureSetHash: loaded.featureSetHash, featureNames: loaded.featureNames, predict: () => [0.2, 0.6, 0.2] };
  const access = await openLog(values.log);
  const trades = await topicSize(access.log, 'trades');
  let signals = 0;
  const sink = {
    onEvent(e: GraphEvent): void {
      if (e.kind === 'signal') signals++;
    },
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await replayLog({ log: access.log, decode: access.decode, sinks: [sink], predictor });
  const c = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = (c.user + c.system) / 1e6;
  await access.close();
  const run: Run = { mode, trades, signals, cpuSeconds, seconds, tradesPerCpuSec: trades / cpuSeconds, tradesPerSec: trades / seconds };
  process.stdout.write(`${JSON.stringify(run)}\n`);
  process.exit(0);
}

const say = benchSay('stack-rate');
const loaded = await loadPredictor(values.model);
say(`model ${loaded.modelId} (${values.model}) on ${values.log}`);
const one = (mode: Run['mode']): Run =>
  JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', 'bench/stack-rate.ts', '--log', values.log as string, '--model', values.model as string, '--one', mode], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Run;
const rounds: { noModel: Run; model: Run; ratioCpu: number }[] = [];
for (let r = 0; r < Math.max(1, Number(values.repeat)); r++) {
  say(`round ${r + 1}: no model`);
  const noModel = one('no-model');
  say(`round ${r + 1}: model`);
  const model = one('model');
  rounds.push({ noModel, model, ratioCpu: model.tradesPerCpuSec / noModel.tradesPerCpuSec });
  // Each round on stderr as it ends: a run cut short still leaves the rounds it finished.
  say(`round ${r + 1}: ${JSON.stringify({ noModel, model })}`);
}
const median = (x: number[]): number => {
  const s = [...x].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const out = {
  modelId: loaded.modelId,
  trades: rounds[0]?.model.trades,
  signalsModel: rounds[0]?.model.signals,
  signalsNoModel: rounds[0]?.noModel.signals,
  noModelTradesPerCpuSec: median(rounds.map((r) => r.noModel.tradesPerCpuSec)),
  modelTradesPerCpuSec: median(rounds.map((r) => r.model.tradesPerCpuSec)),
  ratioCpu: median(rounds.map((r) => r.ratioCpu)),
  perRound: rounds.map((r) => ({ noModel: Math.round(r.noModel.tradesPerCpuSec), model: Math.round(r.model.tradesPerCpuSec), ratioCpu: Math.round(r.ratioCpu * 1000) / 1000, noModelCpuSeconds: r.noModel.cpuSeconds, modelCpuSeconds: r.model.cpuSeconds, wallRatio: Math.round((r.model.tradesPerSec / r.noModel.tradesPerSec) * 1000) / 1000 })),
};
process.stdout.write(`${values.json ? JSON.stringify(out) : JSON.stringify(out, null, 2)}\n`);
