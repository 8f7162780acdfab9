import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBundle, writeBundle, type ConfluenceBundle } from '../../model/confluence/bundle.ts';
import { confluenceWindows } from '../../model/confluence/windows.ts';
import { ModelError } from '../../model/errors.ts';
import { confluenceModel, isConfluence, type ConfluenceMember } from '../../processors/confluence/confluence-model.ts';
import { featureSetByHash } from '../../processors/graph.ts';
import { confluenceRows, evaluateConfluence, learnWeights } from '../../research/confluence.ts';
import { intervalMs } from '../../schemas/index.ts';
import type { ValuesOf } from '../command-spec.ts';
import { loadModel } from '../load-model.ts';
import { logSource, openLogFrom } from '../log-access.ts';
import { info, printJson, UsageError } from '../output.ts';
import type { MODEL_CONFLUENCE } from '../specs/model.ts';
import type { REPLAY_CONFLUENCE } from '../specs/replay.ts';

/** L2 penalty of the learned weights (in units of the log-likelihood): mild, it only steadies collinear timeframes. */
const LEARN_L2 = 1;

/** Out-of-sample windows of the bundle's members, a ModelError (ONNX member) as a usage error. */
async function windowsOf(dirs: readonly string[], horizonMs: number): Promise<Awaited<ReturnType<typeof confluenceWindows>>> {
  try {
    return await confluenceWindows(dirs, horizonMs);
  } catch (e) {
    if (e instanceof ModelError) throw new UsageError(e.message, { cause: e });
    throw e;
  }
}

/** `tickflow model confluence`: a bundle of per-timeframe models, weights and k. */
export async function confluenceCommand(values: ValuesOf<typeof MODEL_CONFLUENCE>): Promise<number> {
  if (existsSync(values.out) && readdirSync(values.out).length > 0) throw new UsageError(`--out ${values.out}: exists and is not empty`);
  const members: (ConfluenceMember & { dir: string })[] = [];
  for (const m of values.models) {
    const p = await loadModel(m.dir, 'models');
    if (isConfluence(p)) throw new UsageError(`--models ${m.interval}=${m.dir}: is a confluence bundle, not a model`);
    const trained = featureSetByHash(p.featureSetHash).signalInterval;
    if (trained !== m.interval) throw new UsageError(`--models ${m.interval}=${m.dir}: model ${p.modelId} was trained on ${trained} bars, not ${m.interval}`);
    members.push({ interval: m.interval, predictor: p, dir: m.dir });
  }
  const base = members[0] as ConfluenceMember;
  const finer = members.find((m) => intervalMs(m.interval) < intervalMs(base.interval));
  if (finer !== undefined) throw new UsageError(`--models: the first timeframe is the base one and must be the finest (${finer.interval} is finer than ${base.interval})`);
  const k = values.k ?? members.length;
  let weights: ConfluenceBundle['weights'];
  if (values.weights === 'equal') weights = { source: 'configured', values: members.map(() => 1) };
  else if (Array.isArray(values.weights)) weights = { source: 'configured', values: values.weights };
  else {
    // The views do not depend on the weights: replay with equal ones, fit on the out-of-sample rows.
    const provisional = confluenceModel('provisional', members, members.map(() => 1), k);
    const access = await openLogFrom(logSource(values), { readOnly: true });
    try {
      const { rows, horizonMs } = await confluenceRows({ log: access.log, decode: access.decode, model: provisional });
      const w = await windowsOf(members.map((m) => m.dir), horizonMs);
      let fit;
      try {
        fit = learnWeights(rows, members.length, w.fit.from, w.fit.to, LEARN_L2);
      } catch (e) {
        throw new UsageError(`--weights learned: ${(e as Error).message} [${new Date(w.fit.from).toISOString()}, ${new Date(w.fit.to).toISOString()}); the log has ${rows.length} labelled rows`, { cause: e });
      }
      weights = { source: 'learned', values: fit.weights, fit: { from: w.fit.from, to: w.fit.to, rows: fit.rows, l2: LEARN_L2, iterations: fit.iterations, converged: fit.converged } };
    } finally {
      await access.close();
    }
  }
  const b = await writeBundle(values.out, members.map((m) => ({ interval: m.interval, modelId: m.predictor.modelId, dir: m.dir })), weights, k);
  info(`confluence bundle ${b.modelId} (${b.members.map((m) => m.interval).join(' + ')}, k=${k}, ${values.weights === 'equal' ? 'equal' : weights.source} weights ${weights.values.map((x) => x.toPrecision(4)).join(', ')}) written to ${values.out}`);
  printJson({ modelId: b.modelId, timeframes: b.members.map((m) => m.interval), k, weights: weights.values, source: values.weights === 'equal' ? 'equal' : weights.source, fit: weights.fit ?? null, out: values.out });
  return 0;
}

/** `tickflow replay confluence`: fused vs each single timeframe on the same out-of-sample rows. */
export async function confluenceEvalCommand(values: ValuesOf<typeof REPLAY_CONFLUENCE>): Promise<number> {
  const model = await loadModel(values.model);
  if (!isConfluence(model)) throw new UsageError(`--model ${values.model}: not a confluence bundle (no confluence.json); make one with \`tickflow model confluence\``);
  const bundle = await readBundle(values.model);
  const access = await openLogFrom(logSource(values), { readOnly: true });
  try {
    const { rows, horizonMs, unlabeled } = await confluenceRows({ log: access.log, decode: access.decode, model });
    const w = await windowsOf(bundle.members.map((m) => join(values.model, m.dir)), horizonMs);
    const last = rows.at(-1)?.barEnd ?? -Infinity;
    if (last < w.testFrom) throw new UsageError(`replay confluence: no labelled rows after the members' validation period (from ${new Date(w.testFrom).toISOString()}; the log's last labelled bar ends ${Number.isFinite(last) ? new Date(last).toISOString() : 'nowhere'}): the log needs data after the training data`);
    const ev = evaluateConfluence(rows, bundle.members.map((m) => m.interval), { from: w.testFrom, to: last + 1, horizonMs, costBps: values['cost-bps'], replicates: values.replicates });
    info(`${ev.rows} out-of-sample rows (${unlabeled} unlabeled at the log's end or gaps)`);
    const out = { modelId: model.modelId, k: bundle.k, weights: bundle.weights.values, window: { from: ev.from, to: ev.to }, rows: ev.rows, costBps: values['cost-bps'], baseline: ev.baseline, sources: ev.sources };
    if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(out, null, 2)}\n`);
    printJson(out);
    return 0;
  } finally {
    await access.close();
  }
}
