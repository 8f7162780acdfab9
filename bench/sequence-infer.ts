// npm run bench -- sequence-infer [--rows 100000] [--repeat 3] [--features 16] [--filters 16] [--window 16]
// The sequence family's inference per feature row, as the infer operator pays it (D76): the
// operator's SequenceHistory fed two symbols' rows in turn, (a) concatenating each symbol's last
// `window` rows and scoring the whole window (what it did before D76, still its path for a
// predictor without openWindow), (b) the incremental scorer (one new output per convolution per
// row). Also the model alone: SequenceModel.score(window) against stream push + score. Seeded
// random weights of the default shape (16 steps, 16 filters; the arithmetic does not depend on
// the values). CPU time (process.cpuUsage) per row, the variants interleaved, medians of --repeat
// rounds; every round checks that (a) and (b) gave the same probabilities, bit for bit.
import { parseArgs } from 'node:util';
import { SequenceModel, type SequenceParams } from '../model/sequence.ts';
import { SequenceHistory } from '../processors/operators/infer.ts';
import { Rng } from '../processors/math/rng.ts';
import type { Predictor } from '../processors/types.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'sequence-infer'),
  options: {
    rows: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '3' },
    features: { type: 'string', default: '16' },
    filters: { type: 'string', default: '16' },
    window: { type: 'string', default: '16' },
  },
});
const say = benchSay('sequence-infer');
const [rows, repeat, dim, filters, window] = [values.rows, values.repeat, values.features, values.filters, values.window].map(Number) as [number, number, number, number, number];

const rng = new Rng(10);
const convs: SequenceParams['convs'] = [];
for (let inDim = dim, w = window; w > 1; w /= 2, inDim = filters) {
  convs.push({ inDim, outDim: filters, kernel: Array.from({ length: 2 * inDim * filters }, () => rng.normal() * 0.3), bias: Array.from({ length: filters }, () => rng.normal() * 0.1) });
}
const model = new SequenceModel({
  window,
  dim,
  mean: Array.from({ length: dim }, () => rng.normal()),
  std: Array.from({ length: dim }, () => 0.5 + rng.next()),
  convs,
  dense: { inDim: filters, kernel: Array.from({ length: filters * 3 }, () => rng.normal()), bias: [0, 0, 0] },
});
const triple = (p: Float64Array): [number, number, number] => [p[0] as number, p[1] as number, p[2] as number];
const whole: Pick<Predictor, 'predict' | 'openWindow'> = { predict: (row) => triple(model.score(row)) };
const incremental: Pick<Predictor, 'predict' | 'openWindow'> = {
  predict: whole.predict,
  openWindow: () => {
    const s = model.stream();
    return { push: (row) => s.push(row), predict: () => triple(s.score()) };
  },
};
const data = Float64Array.from({ length: rows * dim }, () => rng.normal() * 2);
const keys = ['BTCUSDT|1m', 'ETHUSDT|1m'];

/** CPU µs per row and a checksum (sum of pUp) of one pass over the rows. */
function operatorPass(p: Pick<Predictor, 'predict' | 'openWindow'>): { us: number; sum: number; firsts: number[] } {
  const h = new SequenceHistory(window, dim, p);
  const firsts: number[] = [];
  let sum = 0;
  const t0 = process.cpuUsage();
  for (let r = 0; r < rows; r++) {
    const out = h.push(keys[r & 1] as string, data.subarray(r * dim, (r + 1) * dim));
    if (out !== null) {
      sum += out[0];
      if (firsts.length < 1000) firsts.push(out[0], out[1], out[2]);
    }
  }
  const t = process.cpuUsage(t0);
  return { us: (t.user + t.system) / rows, sum, firsts };
}

function modelPass(kind: 'score' | 'stream'): { us: number; sum: number } {
  const streams = keys.map(() => model.stream());
  const win = new Float64Array(window * dim);
  let sum = 0;
  const t0 = process.cpuUsage();
  for (let r = window * 2; r < rows; r++) {
    if (kind === 'score') {
      // The window of the row's symbol (every other row), already laid out: no history upkeep.
      for (let k = 0; k < window; k++) win.set(data.subarray((r - 2 * (window - 1 - k)) * dim, (r - 2 * (window - 1 - k) + 1) * dim), k * dim);
      sum += model.score(win)[0] as number;
    } else {
      const s = streams[r & 1]!;
      if (s.push(data.subarray(r * dim, (r + 1) * dim))) sum += s.score()[0] as number;
    }
  }
  const t = process.cpuUsage(t0);
  return { us: (t.user + t.system) / (rows - window * 2), sum };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const r2 = (x: number): number => Math.round(x * 100) / 100;
say(`${rows} rows x ${dim} features, window ${window}, ${filters} filters, ${repeat} interleaved rounds`);
// One untimed warm-up pass of each, so the JIT has compiled every path before the first round.
operatorPass(whole);
operatorPass(incremental);
modelPass('score');
modelPass('stream');
const m: Record<string, number[]> = { operatorWhole: [], operatorIncremental: [], modelScore: [], modelStream: [] };
for (let i = 0; i < repeat; i++) {
  const a = operatorPass(whole);
  const b = operatorPass(incremental);
  if (a.sum !== b.sum || a.firsts.some((x, j) => !Object.is(x, b.firsts[j]))) throw new Error('incremental and whole-window probabilities differ');
  m.operatorWhole!.push(a.us);
  m.operatorIncremental!.push(b.us);
  m.modelScore!.push(modelPass('score').us);
  m.modelStream!.push(modelPass('stream').us);
  say(`round ${i + 1}: operator ${r2(a.us)} -> ${r2(b.us)} µs/row`);
}
const result = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { medianUsPerRow: r2(median(v)), runs: v.map(r2) }]));
console.log(JSON.stringify({ rows, features: dim, window, filters, repeat, identical: true, ...result }, null, 2));
